# Warnings apply to our own targets only; third-party headers come in as SYSTEM.
function(riptide_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(RIPTIDE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
