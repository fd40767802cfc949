# Embeds text files (JSON Schemas, SQL migrations) into a C++ source so the
# binary needs no install path to find them.
#   lf_embed_resources(OUTPUT <file.cpp> BASE <dir> FILES <abs paths...>)
# The generated source defines lf::resources::all() (see schemas/resources.hpp).
function(lf_embed_resources)
  cmake_parse_arguments(ARG "" "OUTPUT;BASE" "FILES" ${ARGN})
  set(script "${PROJECT_SOURCE_DIR}/cmake/embed_resources_script.cmake")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DBASE=${ARG_BASE}
            "-DFILES=${ARG_FILES}" -P ${script}
    DEPENDS ${ARG_FILES} ${script}
    COMMENT "Embedding ${CMAKE_CURRENT_SOURCE_DIR} resources"
    VERBATIM)
endfunction()
