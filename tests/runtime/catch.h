// catch.h: Catch2 v2 (single header, Debian 11 and 12) or v3 (a library,
// Debian 13). main.cc defines CATCH_CONFIG_RUNNER before including it (v2:
// that file holds Catch2's implementation; v3 links libCatch2).
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
