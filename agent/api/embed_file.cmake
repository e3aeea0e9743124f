# cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DSYMBOL=<name> -P embed_file.cmake
# Writes a C++ source defining `std::string_view pma::api::SYMBOL()` that returns INPUT's bytes,
# so a document kept as a plain file in the tree (agent/api/openapi.json) is served byte for
# byte without being escaped by hand. Run at build time (add_custom_command in CMakeLists.txt).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# Break the initialiser into lines of 16 bytes for compilers and diff tools.
string(REGEX REPLACE "(('[^']+',){16})" "\\1\n  " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by agent/api/embed_file.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace pma::api {\n"
  "namespace {\n"
  "constexpr char kBytes[${size} + 1] = {\n  ${bytes}'\\0'};\n"
  "}  // namespace\n\n"
  "std::string_view ${SYMBOL}() { return std::string_view(kBytes, ${size}); }\n\n"
  "}  // namespace pma::api\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
