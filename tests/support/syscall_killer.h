// SyscallKiller: runs a real program under ptrace and SIGKILLs it at the entry of the first
// system call a predicate picks (before the kernel runs it), to test what a crash at an exact
// point leaves behind: a secret's write or fchmod, a response's send after a commit. The
// predicate can read the call's file (/proc/<pid>/fd/<n>) and memory (what it was about to
// write). Follows the program's threads. Thread-safety: the tracing happens on a thread of its
// own (ptrace's tracer must be one thread); arm() and the accessors are safe from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pma::test {

// One system call at its entry: x86-64 number and arguments.
struct Syscall {
  pid_t tid = 0;
  long number = 0;
  unsigned long args[6] = {};
  // readlink of /proc/<tid>/fd/<fd>: "/path/to/file", "socket:[123]", ... ("" if none).
  std::string fd_path(int fd) const;
  // `size` bytes of the tracee's memory at `address` (fewer if unreadable).
  std::string memory(unsigned long address, std::size_t size) const;
  // What a write/pwrite64/writev/sendto/sendmsg call is about to write ("" for other calls).
  std::string written_bytes() const;
};

class SyscallKiller {
 public:
  // Returns true to kill the program at this call.
  using Predicate = std::function<bool(const Syscall&)>;

  // Starts argv (argv[0] is the program's path) with stdout and stderr to `log_path`.
  SyscallKiller(std::vector<std::string> argv, std::string log_path, Predicate kill_at);
  // Kills the program if it still runs and waits for the tracing thread.
  ~SyscallKiller();
  SyscallKiller(const SyscallKiller&) = delete;
  SyscallKiller& operator=(const SyscallKiller&) = delete;

  // Blocks until the program was killed by the predicate (true), or exited by itself or did
  // not reach the point within `deadline` (then it is killed) (false).
  bool wait(std::chrono::milliseconds deadline = std::chrono::seconds(60));
  // The call it was killed at (valid after wait() returned true; its memory is gone by then:
  // copy what you need in the predicate).
  Syscall killed_at() const;

 private:
  void trace(std::vector<std::string> argv, std::string log_path);

  Predicate kill_at_;
  std::thread tracer_;
  mutable std::mutex mutex_;
  bool done_ = false;
  bool killed_ = false;
  Syscall killed_at_;
  std::atomic<pid_t> pid_{-1};
};

}  // namespace pma::test
