# The pure core knows nothing of Kafka or PostgreSQL (DESIGN.md "Layout"):
# lf_assert_pure(<target>...) fails configuration when one of them links an
# adapter library or one of its sources includes an adapter header (directly
# or through the project's headers: cmake/PureIncludes.cmake), and adds a
# build step that checks the includes again before those targets build, so
# an include added since configuration fails the build.
include(${CMAKE_CURRENT_LIST_DIR}/PureIncludes.cmake)

function(lf_assert_pure)
  set(all_sources "")
  foreach(target IN LISTS ARGN)
    get_target_property(libs ${target} LINK_LIBRARIES)
    foreach(lib IN LISTS libs)
      if(lib MATCHES "rdkafka|RDKAFKA|pqxx|PQXX|libpq|LIBPQ|lf_kafka|lf_pg|lf_os|lf_projector|lf_engine_service")
        message(FATAL_ERROR "${target} is pure but links ${lib}")
      endif()
    endforeach()
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    foreach(source IN LISTS sources)
      if(NOT IS_ABSOLUTE "${source}")
        set(source "${source_dir}/${source}")
      endif()
      if(source MATCHES "\\.(cpp|hpp|h)$")
        list(APPEND all_sources "${source}")
      endif()
    endforeach()
  endforeach()
  lf_pure_include_problems(problems "${PROJECT_SOURCE_DIR}" ${all_sources})
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "a pure source includes an adapter:\n  ${text}")
  endif()
  list(JOIN all_sources "\n" listing)
  file(WRITE "${PROJECT_BINARY_DIR}/pure_sources.txt" "${listing}\n")
  add_custom_target(lf_pure_includes
    COMMAND ${CMAKE_COMMAND} -DLF_ROOT=${PROJECT_SOURCE_DIR}
            -DLF_PURE_FILES_LIST=${PROJECT_BINARY_DIR}/pure_sources.txt
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PureIncludes.cmake
    COMMENT "Checking that the pure targets include no adapter"
    VERBATIM)
  foreach(target IN LISTS ARGN)
    add_dependencies(${target} lf_pure_includes)
  endforeach()
endfunction()
