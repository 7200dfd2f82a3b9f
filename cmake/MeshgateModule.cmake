# Modules and their layering. scripts/layers.txt says which module (a folder
# of the tree) may use which. scripts/check-layers.sh checks every #include
# against it; meshgate_library() checks every link: a library of one module
# may link the libraries of its own module and of the modules it may use,
# nothing above. Every library sees the project root as a PRIVATE include
# directory, so no library hands the whole tree on to what links it.
#
#   meshgate_library(<target> MODULE <folder> SOURCES <file>...
#                    [PUBLIC <lib>...] [PRIVATE <lib>...])

set(MESHGATE_LAYERS_FILE "${CMAKE_CURRENT_LIST_DIR}/../scripts/layers.txt"
    CACHE FILEPATH "The module table meshgate_library() checks links against")

# "module: uses..." lines into global properties MESHGATE_USES_<id>.
function(_meshgate_read_layers)
  get_property(done GLOBAL PROPERTY MESHGATE_LAYERS_READ)
  if(done)
    return()
  endif()
  file(STRINGS "${MESHGATE_LAYERS_FILE}" lines)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*" "" line "${line}")
    if(NOT line MATCHES "^([^:]+):(.*)$")
      continue()
    endif()
    string(STRIP "${CMAKE_MATCH_1}" module)
    string(STRIP "${CMAKE_MATCH_2}" uses)
    separate_arguments(uses UNIX_COMMAND "${uses}")
    string(MAKE_C_IDENTIFIER "${module}" id)
    set_property(GLOBAL PROPERTY MESHGATE_USES_${id} "${uses}")
    set_property(GLOBAL PROPERTY MESHGATE_KNOWN_${id} TRUE)
  endforeach()
  set_property(GLOBAL PROPERTY MESHGATE_LAYERS_READ TRUE)
endfunction()

# Fails the configure when `target` (of `module`) links `dep` of a module it may not use.
function(_meshgate_check_link target module dep)
  if(NOT TARGET ${dep})
    return()
  endif()
  get_target_property(dep_module ${dep} MESHGATE_MODULE)
  if(NOT dep_module OR dep_module STREQUAL module)
    return()
  endif()
  string(MAKE_C_IDENTIFIER "${module}" id)
  get_property(uses GLOBAL PROPERTY MESHGATE_USES_${id})
  if(NOT dep_module IN_LIST uses)
    message(FATAL_ERROR "${target} (${module}) may not link ${dep} (${dep_module}): "
                        "${module} may use only '${uses}' (${MESHGATE_LAYERS_FILE})")
  endif()
endfunction()

function(meshgate_library target)
  cmake_parse_arguments(PARSE_ARGV 1 M "" "MODULE" "SOURCES;PUBLIC;PRIVATE")
  _meshgate_read_layers()
  string(MAKE_C_IDENTIFIER "${M_MODULE}" id)
  get_property(known GLOBAL PROPERTY MESHGATE_KNOWN_${id})
  if(NOT known)
    message(FATAL_ERROR "${target}: module '${M_MODULE}' is not in ${MESHGATE_LAYERS_FILE}")
  endif()
  foreach(dep IN LISTS M_PUBLIC M_PRIVATE)
    _meshgate_check_link(${target} ${M_MODULE} ${dep})
  endforeach()
  add_library(${target} ${M_SOURCES})
  set_property(TARGET ${target} PROPERTY MESHGATE_MODULE ${M_MODULE})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  # Asio's headers must read the same in every translation unit.
  target_compile_definitions(${target} PUBLIC BOOST_ASIO_NO_DEPRECATED)
  target_link_libraries(${target} PUBLIC ${M_PUBLIC} PRIVATE ${M_PRIVATE} meshgate_warnings)
endfunction()
