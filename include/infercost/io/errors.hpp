#pragma once
// Typed errors, each carrying the process exit code the CLI returns for it.
#include <stdexcept>
#include <string>

namespace infercost {

/// Exit codes of the infercost command.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitBadInput = 2, kExitCheckFailed = 3 };

/// Base of infercost's errors.
class Error : public std::runtime_error {
 public:
  Error(const std::string& what, int exit_code) : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// A bad scenario or command-line value: message is "file:line:column: key.path: what was expected".
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what, kExitBadInput) {}
};

/// An output could not be written.
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& what) : Error(what, kExitFailure) {}
};

}  // namespace infercost
