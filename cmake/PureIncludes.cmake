# What a pure source may not include, directly or through the project's own
# headers it includes: an adapter or service header of this project
# (consumers/, cli/, tools/ outside the soak's core, tests/, bench/) or an
# adapter library's (librdkafka, libpqxx, libpq, cpp-httplib).
#
# lf_pure_include_problems(<out-var> <root> <file>...) sets <out-var> to one
# "<file>: includes <what> (through <chain>)" line per breach.
#
# Run as a script, it checks the files listed in LF_PURE_FILES_LIST (one per
# line) under LF_ROOT and fails on any breach: the build runs it before the
# pure libraries, so an include added after configuration fails the build.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.20)
endif()

set(LF_ADAPTER_INCLUDE_REGEX
    "^(consumers/|cli/|tests/|bench/|librdkafka/|pqxx/|libpq-fe\\.h|postgresql/|httplib\\.h)")

function(lf_pure_include_problems out root)
  set(problems "")
  set(seen "")
  set(work "")
  foreach(file IN LISTS ARGN)
    list(APPEND work "${file}|${file}")
  endforeach()
  while(work)
    list(POP_FRONT work item)
    string(REPLACE "|" ";" parts "${item}")
    list(GET parts 0 file)
    list(GET parts 1 chain)
    if(file IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${file}")
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" included "${line}")
      if(included MATCHES "${LF_ADAPTER_INCLUDE_REGEX}")
        list(APPEND problems "${chain}: includes ${included}")
      elseif(EXISTS "${root}/${included}" AND NOT IS_DIRECTORY "${root}/${included}")
        list(APPEND work "${root}/${included}|${chain} -> ${included}")
      endif()
    endforeach()
  endwhile()
  set(${out} "${problems}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND LF_PURE_FILES_LIST)
  file(STRINGS "${LF_PURE_FILES_LIST}" files)
  lf_pure_include_problems(problems "${LF_ROOT}" ${files})
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "a pure source includes an adapter:\n  ${text}")
  endif()
endif()
