# pantau_embed(TARGET NAME FILE): compiles FILE into TARGET as
#     namespace pantau::embedded { extern const std::string_view NAME; }
# declared in the generated header "embedded/NAME.hpp" (on TARGET's private include path).
# Every byte is written as a "\xHH" escape of a string literal, so any content is safe
# (quotes, backslashes, ")" sequences, NUL, non-UTF-8); the view does not include the
# literal's terminating NUL.
# FILE is relative to the calling CMakeLists.txt's folder. Editing FILE regenerates the
# source at build time; the generated files live in the build tree only.
#
# Use it for web assets (CSS, scripts) that are easier to read and lint as files of their own
# than as raw string literals inside C++.

set(PANTAU_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/pantau_embed_file.cmake)

function(pantau_embed target name file)
    if(NOT name MATCHES "^[a-z_][a-z0-9_]*$")
        message(FATAL_ERROR "pantau_embed: NAME must be a snake_case C++ identifier: ${name}")
    endif()
    get_filename_component(input ${file} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${input})
        message(FATAL_ERROR "pantau_embed: no such file: ${input}")
    endif()
    file(RELATIVE_PATH shown ${PROJECT_SOURCE_DIR} ${input})
    set(dir ${CMAKE_CURRENT_BINARY_DIR}/embedded_${target})
    set(source ${dir}/${name}.cpp)
    set(header ${dir}/embedded/${name}.hpp)
    add_custom_command(
        OUTPUT ${source} ${header}
        COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DSHOWN=${shown} -DNAME=${name}
            -DSOURCE=${source} -DHEADER=${header} -P ${PANTAU_EMBED_SCRIPT}
        DEPENDS ${input} ${PANTAU_EMBED_SCRIPT}
        COMMENT "Embedding ${shown} as pantau::embedded::${name}"
        VERBATIM)
    target_sources(${target} PRIVATE ${source} ${header})
    target_include_directories(${target} PRIVATE ${dir})
endfunction()
