# Every dependency comes from a Debian package installed by scripts/bootstrap.
# Nothing is downloaded at build time.

# BoringSSL from android-libboringssl-dev. OpenSSL's headers may be installed too, so the
# BoringSSL include directory goes first and harness/tls/boringssl.hpp refuses to compile
# against anything else. Never link OpenSSL into the same binary.
set(HOPCOST_BORINGSSL_INCLUDE_DIR /usr/include/android CACHE PATH "BoringSSL headers")
set(HOPCOST_BORINGSSL_LIB_DIR /usr/lib/x86_64-linux-gnu/android CACHE PATH "BoringSSL libraries")
find_library(HOPCOST_BORINGSSL_SSL NAMES ssl PATHS ${HOPCOST_BORINGSSL_LIB_DIR} NO_DEFAULT_PATH REQUIRED)
find_library(HOPCOST_BORINGSSL_CRYPTO NAMES crypto PATHS ${HOPCOST_BORINGSSL_LIB_DIR} NO_DEFAULT_PATH REQUIRED)
if(NOT EXISTS ${HOPCOST_BORINGSSL_INCLUDE_DIR}/openssl/is_boringssl.h)
  message(FATAL_ERROR "BoringSSL headers not found in ${HOPCOST_BORINGSSL_INCLUDE_DIR}; run scripts/bootstrap")
endif()
add_library(BoringSSL::crypto SHARED IMPORTED)
set_target_properties(BoringSSL::crypto PROPERTIES
  IMPORTED_LOCATION ${HOPCOST_BORINGSSL_CRYPTO}
  INTERFACE_INCLUDE_DIRECTORIES ${HOPCOST_BORINGSSL_INCLUDE_DIR})
add_library(BoringSSL::ssl SHARED IMPORTED)
set_target_properties(BoringSSL::ssl PROPERTIES
  IMPORTED_LOCATION ${HOPCOST_BORINGSSL_SSL}
  INTERFACE_INCLUDE_DIRECTORIES ${HOPCOST_BORINGSSL_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES BoringSSL::crypto)
# The libraries are outside the linker's search path: binaries carry it as RUNPATH.
set(CMAKE_BUILD_RPATH ${HOPCOST_BORINGSSL_LIB_DIR})

execute_process(COMMAND dpkg-query -W "-f=\${Version}" android-libboringssl-dev
  OUTPUT_VARIABLE HOPCOST_BORINGSSL_PACKAGE_VERSION ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT HOPCOST_BORINGSSL_PACKAGE_VERSION)
  set(HOPCOST_BORINGSSL_PACKAGE_VERSION "unknown")
endif()

find_package(Boost 1.81 REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(nlohmann_json 3.10 REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED CONFIG)
find_package(Threads REQUIRED)
find_package(benchmark REQUIRED CONFIG)
