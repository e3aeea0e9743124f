#include "tests/support/syscall_killer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <condition_variable>
#include <cstring>
#include <map>

namespace pma::test {

namespace {

std::condition_variable& finished() {
  static std::condition_variable cv;
  return cv;
}

}  // namespace

std::string Syscall::fd_path(int fd) const {
  char target[PATH_MAX];
  std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

std::string Syscall::memory(unsigned long address, std::size_t size) const {
  std::string out(size, '\0');
  iovec local{out.data(), size};
  iovec remote{reinterpret_cast<void*>(address), size};
  ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::string Syscall::written_bytes() const {
  auto gather = [this](unsigned long iov_address, std::size_t count) {
    std::string out;
    std::string raw = memory(iov_address, count * sizeof(iovec));
    for (std::size_t i = 0; i + sizeof(iovec) <= raw.size(); i += sizeof(iovec)) {
      iovec v{};
      std::memcpy(&v, raw.data() + i, sizeof v);
      out += memory(reinterpret_cast<unsigned long>(v.iov_base), v.iov_len);
    }
    return out;
  };
  switch (number) {
    case SYS_write:
    case SYS_pwrite64:
    case SYS_sendto:
      return memory(args[1], args[2]);
    case SYS_writev:
      return gather(args[1], args[2]);
    case SYS_sendmsg: {
      std::string raw = memory(args[1], sizeof(msghdr));
      if (raw.size() < sizeof(msghdr)) return {};
      msghdr header{};
      std::memcpy(&header, raw.data(), sizeof header);
      return gather(reinterpret_cast<unsigned long>(header.msg_iov), header.msg_iovlen);
    }
    default:
      return {};
  }
}

SyscallKiller::SyscallKiller(std::vector<std::string> argv, std::string log_path, Predicate kill_at)
    : kill_at_(std::move(kill_at)) {
  tracer_ = std::thread([this, argv = std::move(argv), log_path = std::move(log_path)]() mutable {
    trace(std::move(argv), std::move(log_path));
  });
}

SyscallKiller::~SyscallKiller() {
  if (pid_t pid = pid_.load(); pid > 0) ::kill(pid, SIGKILL);
  if (tracer_.joinable()) tracer_.join();
}

bool SyscallKiller::wait(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  if (!finished().wait_for(lock, deadline, [this] { return done_; })) {
    // The point never came: end the program (the tracer then reports it as not killed).
    if (pid_t pid = pid_.load(); pid > 0) ::kill(pid, SIGKILL);
    finished().wait(lock, [this] { return done_; });
    return false;
  }
  return killed_;
}

Syscall SyscallKiller::killed_at() const {
  std::lock_guard lock(mutex_);
  return killed_at_;
}

void SyscallKiller::trace(std::vector<std::string> argv, std::string log_path) {
  auto finish = [this](bool killed, Syscall at) {
    std::lock_guard lock(mutex_);
    done_ = true;
    killed_ = killed;
    killed_at_ = std::move(at);
    finished().notify_all();
  };
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return finish(false, {});
  if (pid == 0) {
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) _exit(126);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    ::raise(SIGSTOP);  // lets the tracer set its options before exec
    ::execv(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
  int status = 0;
  ::waitpid(pid, &status, 0);  // the SIGSTOP
  ::ptrace(PTRACE_SETOPTIONS, pid, nullptr,
           PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);
  ::ptrace(PTRACE_SYSCALL, pid, nullptr, nullptr);
  std::map<pid_t, bool> in_syscall;  // per thread: stopped at an entry last time
  for (;;) {
    pid_t tid = ::waitpid(-1, &status, __WALL);
    if (tid < 0) return finish(false, {});
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      in_syscall.erase(tid);
      if (tid == pid) {
        pid_ = -1;
        return finish(false, {});
      }
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    int signal = 0;
    if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
      bool entry = !in_syscall[tid];
      in_syscall[tid] = entry;
      if (entry) {
        user_regs_struct regs{};
        ::ptrace(PTRACE_GETREGS, tid, nullptr, &regs);
        Syscall call;
        call.tid = tid;
        call.number = static_cast<long>(regs.orig_rax);
        unsigned long a[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
        std::copy(std::begin(a), std::end(a), call.args);
        if (kill_at_(call)) {
          ::kill(pid, SIGKILL);
          // Reap every thread, then the process.
          while (::waitpid(-1, &status, __WALL) > 0) {
          }
          pid_ = -1;
          return finish(true, std::move(call));
        }
      }
    } else if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_CLONE << 8))) {
      // A new thread: it starts traced (PTRACE_O_TRACECLONE) and stopped.
    } else if (WSTOPSIG(status) != SIGTRAP && WSTOPSIG(status) != SIGSTOP) {
      signal = WSTOPSIG(status);  // deliver the program's own signals
    }
    ::ptrace(PTRACE_SYSCALL, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
  }
}

}  // namespace pma::test
