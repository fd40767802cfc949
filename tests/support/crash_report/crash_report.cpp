// Linked into every integration test executable: when one dies of a signal
// (an LF_ASSERT's abort, std::terminate, a segfault), it writes the test it
// was running and a backtrace to stderr before dying, so a failure seen once
// under CI load says where it happened. The lines start with "lf-crash:" for
// scripts/test.sh's digest; the executables are linked with -rdynamic so the
// frames carry (mangled) function names.
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

void write_text(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// Best effort: the process is dying, so functions that are not
// async-signal-safe (gtest's current test, snprintf) are accepted here.
void report(const char* what) {
  char line[512];
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()
                                        ? ::testing::UnitTest::GetInstance()->current_test_info()
                                        : nullptr;
  std::snprintf(line, sizeof line, "\nlf-crash: %s in %s.%s; backtrace:\n", what,
                test ? test->test_suite_name() : "(no test)", test ? test->name() : "");
  write_text(line);
  void* frames[64];
  const int count = backtrace(frames, 64);
  backtrace_symbols_fd(frames, count, STDERR_FILENO);
  write_text("lf-crash: end of backtrace\n");
}

void on_signal(int number) {
  char what[64];
  std::snprintf(what, sizeof what, "signal %d (%s)", number, strsignal(number));
  report(what);
  // Die of the same signal, as the test runner expects.
  ::signal(number, SIG_DFL);
  ::raise(number);
}

void on_terminate() {
  const char* what = "std::terminate";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& error) {
      write_text("\nlf-crash: uncaught exception: ");
      write_text(error.what());
      write_text("\n");
    } catch (...) {
      write_text("\nlf-crash: uncaught exception of an unknown type\n");
    }
  }
  report(what);
  ::signal(SIGABRT, SIG_DFL);
  std::abort();
}

[[maybe_unused]] const bool installed = [] {
  for (int number : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(number, on_signal);
  std::set_terminate(on_terminate);
  return true;
}();

}  // namespace
