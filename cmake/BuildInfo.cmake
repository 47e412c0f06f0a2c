# Run at build time (cmake -P), before bf_train compiles: writes OUT, a C++ file defining build_commit(),
# from the git commit of SOURCE_DIR. It runs on every build and rewrites OUT only when the text changes,
# so a new commit (or a tree that became dirty or clean) recompiles one file and relinks, and nothing
# else. Outside a git checkout of SOURCE_DIR (a release tarball, no git installed) the commit is
# "unknown". A tree with uncommitted changes to tracked files gets "+dirty" after the hash.
set(commit "unknown")
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel HEAD
                  OUTPUT_VARIABLE lines RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    string(REPLACE "\n" ";" lines "${lines}")
    list(GET lines 0 toplevel)
    list(GET lines 1 hash)
    file(REAL_PATH "${toplevel}" toplevel)
    file(REAL_PATH "${SOURCE_DIR}" source)
    # A source tree copied inside some other repository must not report that repository's commit.
    if(toplevel STREQUAL source)
      set(commit "${hash}")
      execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                      OUTPUT_VARIABLE changes RESULT_VARIABLE rc ERROR_QUIET)
      if(rc EQUAL 0 AND NOT changes STREQUAL "")
        string(APPEND commit "+dirty")
      endif()
    endif()
  endif()
endif()
set(text "// Generated at build time by cmake/BuildInfo.cmake; do not edit.\n")
string(APPEND text "namespace bf {\n")
string(APPEND text "const char* build_version() { return \"${VERSION}\"; }\n")
string(APPEND text "const char* build_commit() { return \"${commit}\"; }\n")
string(APPEND text "}  // namespace bf\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
