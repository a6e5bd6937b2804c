# Every target of ours gets the same warning set; third-party headers come in as SYSTEM includes.
add_library(sterifleet_warnings INTERFACE)
add_library(sterifleet::warnings ALIAS sterifleet_warnings)
target_compile_options(sterifleet_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${STERIFLEET_WERROR}>:-Werror>
  # With optimisation GCC 12 reports null dereferences inside std::variant and boost::system::result
  # that cannot happen (after the has-value check); they stay warnings there, errors in Debug builds.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<NOT:$<CONFIG:Debug>>>:-Wno-error=null-dereference>)
