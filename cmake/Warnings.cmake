# Every target of ours gets the same warning set; third-party headers come in as SYSTEM includes.
# GCC's flow-based warnings (-Wnull-dereference, -Wmaybe-uninitialized, -Wrestrict) appear only with
# optimisation, after inlining, and reach into system headers instantiated from our code: fixed in our
# code where it is ours, else suppressed at the include that brings the third-party code in, with why.
# Warnings are errors in the presets (debug, and release-werror that CI builds), not by default.
add_library(sterifleet_warnings INTERFACE)
add_library(sterifleet::warnings ALIAS sterifleet_warnings)
target_compile_options(sterifleet_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${STERIFLEET_WERROR}>:-Werror>)
