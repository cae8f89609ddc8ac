#pragma once

// <regex> for tests, without GCC 12's false -Wmaybe-uninitialized warnings:
// with -O1 and the sanitizers (the CI build), inlining std::function's move
// into regex_automaton.h makes GCC warn about a member it cannot see set.
// The warning is located in the library headers, so silencing it around the
// include leaves it on for our own code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
