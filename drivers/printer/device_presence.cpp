// The only file that includes <sys/inotify.h>.
#include "drivers/printer/device_presence.h"

#include <fmt/format.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

namespace pma::printer {

namespace asio = boost::asio;

struct DevicePresence::Watch {
  explicit Watch(const asio::any_io_executor& executor) : timer(executor), inotify(executor) {}
  asio::steady_timer timer;
  asio::posix::stream_descriptor inotify;
  int watch = -1;  // the parent folder's inotify watch, -1 while on the timer
};

namespace {

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;  // follows symlinks: a dangling link is absent
}

}  // namespace

DevicePresence::DevicePresence(asio::any_io_executor executor, std::string path,
                               std::chrono::milliseconds recheck)
    : executor_(std::move(executor)),
      path_(std::move(path)),
      recheck_(recheck),
      watch_(std::make_shared<Watch>(executor_)) {
  std::filesystem::path p(path_);
  parent_ = p.has_parent_path() ? p.parent_path().string() : ".";
  name_ = p.filename().string();
}

DevicePresence::~DevicePresence() { stop(); }

void DevicePresence::start() {
  if (running_) return;
  running_ = true;
  present_ = exists(path_);
  arm();
}

void DevicePresence::stop() {
  running_ = false;
  watch_->timer.cancel();
  boost::system::error_code ignored;
  watch_->inotify.close(ignored);  // drops the watch too
  watch_->watch = -1;
}

std::uint64_t DevicePresence::subscribe(Listener listener) {
  listeners_.emplace_back(next_id_, std::move(listener));
  return next_id_++;
}

void DevicePresence::unsubscribe(std::uint64_t id) {
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

void DevicePresence::recheck() { update(exists(path_)); }

Status DevicePresence::status() const {
  if (present_) return {};
  return fail("device_absent",
              fmt::format("{} does not exist: is the printer unplugged or switched off?", path_));
}

std::string_view DevicePresence::method() const {
  if (!running_) return "stopped";
  return watch_->watch >= 0 ? "inotify" : "timer";
}

void DevicePresence::update(bool present) {
  if (present == present_) return;
  present_ = present;
  auto listeners = listeners_;  // a listener may stop or restart the watcher
  for (auto& [id, listener] : listeners) listener(present);
}

// Watches the parent folder when it can; otherwise re-checks on the timer and tries again.
void DevicePresence::arm() {
  if (!running_) return;
  Watch& w = *watch_;
  if (!w.inotify.is_open()) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0) w.inotify.assign(fd);
  }
  if (w.inotify.is_open()) {
    w.watch = ::inotify_add_watch(w.inotify.native_handle(), parent_.c_str(),
                                  IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
  }
  // Checked after the watch exists, so a device that appears in between is not missed.
  update(exists(path_));
  if (w.watch >= 0) {
    wait_for_events();
  } else {
    arm_timer();
  }
}

void DevicePresence::arm_timer() {
  std::weak_ptr<Watch> weak = watch_;
  watch_->timer.expires_after(recheck_);
  watch_->timer.async_wait([this, weak](const boost::system::error_code& ec) {
    if (weak.expired() || ec || !running_) return;
    arm();
  });
}

void DevicePresence::wait_for_events() {
  std::weak_ptr<Watch> weak = watch_;
  watch_->inotify.async_wait(
      asio::posix::stream_descriptor::wait_read, [this, weak](const boost::system::error_code& ec) {
        if (weak.expired() || ec || !running_) return;
        Watch& w = *watch_;
        bool ours = false, folder_gone = false;
        alignas(inotify_event) char buffer[4096];
        for (;;) {
          ssize_t n = ::read(w.inotify.native_handle(), buffer, sizeof buffer);
          if (n <= 0) break;  // EAGAIN: drained
          for (ssize_t at = 0; at < n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) ours = true;
            if (event->wd != w.watch) continue;  // left over from a folder watched before
            if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) folder_gone = true;
            if (event->len > 0 && name_ == event->name) ours = true;
          }
        }
        if (folder_gone) {
          ::inotify_rm_watch(w.inotify.native_handle(), w.watch);  // may already be gone
          w.watch = -1;
          arm();  // the folder may be back already; otherwise the timer
          return;
        }
        if (ours) update(exists(path_));
        wait_for_events();
      });
}

namespace {

// open() waits for the device to appear; everything else goes straight to the inner transport.
class PresenceGatedTransport final : public Transport {
 public:
  PresenceGatedTransport(std::unique_ptr<Transport> inner, DevicePresence& presence)
      : inner_(std::move(inner)), presence_(presence), appeared_(presence.executor()) {
    subscription_ = presence_.subscribe([this](bool present) {
      if (present) appeared_.cancel();
    });
  }
  ~PresenceGatedTransport() override { presence_.unsubscribe(subscription_); }

  std::string describe() const override { return inner_->describe(); }
  bool can_read() const override { return inner_->can_read(); }
  bool is_open() const override { return inner_->is_open(); }

  asio::awaitable<Status> open() override {
    if (!presence_.present()) {
      appeared_.expires_at(asio::steady_timer::time_point::max());
      co_await appeared_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!presence_.present()) {
        co_return fail("printer_closed", fmt::format("{} was closed while waiting for {} to appear",
                                                     describe(), presence_.path()));
      }
    }
    auto opened = co_await inner_->open();
    if (!opened && opened.error().code == "device_absent") presence_.recheck();
    co_return opened;
  }

  asio::awaitable<WriteResult> write(std::string_view bytes) override {
    co_return co_await inner_->write(bytes);
  }

  asio::awaitable<Result<std::string>> read(std::size_t count,
                                            std::chrono::milliseconds timeout) override {
    co_return co_await inner_->read(count, timeout);
  }

  void discard_input() override { inner_->discard_input(); }

  void close() override {
    appeared_.cancel();
    inner_->close();
  }

 private:
  std::unique_ptr<Transport> inner_;
  DevicePresence& presence_;
  asio::steady_timer appeared_;  // never expires: cancelled when the device appears or on close
  std::uint64_t subscription_ = 0;
};

}  // namespace

std::unique_ptr<Transport> wait_for_presence(std::unique_ptr<Transport> inner,
                                             DevicePresence& presence) {
  return std::make_unique<PresenceGatedTransport>(std::move(inner), presence);
}

}  // namespace pma::printer
