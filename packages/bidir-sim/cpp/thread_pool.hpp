// A persistent pool running parallel-for loops on `threads` threads: the calling thread and threads - 1
// workers. The caller takes indices too, so one thread means no hand-off at all, and a loop returns when
// every index is done. No heavy headers; workers run an init hook once (libtorch's per-thread setup).
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bidir {

class ThreadPool {
 public:
  ThreadPool(int threads, std::function<void()> workerInit = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs fn(i) for every i in [0, n). If some calls throw, the others still run; the exception of the
  // lowest index is rethrown as it is (callers say what index i was: an env, a group of envs).
  void parallelFor(int n, const std::function<void(int)>& fn);

 private:
  void work(const std::function<void()>& init);
  void runIndices(std::unique_lock<std::mutex>& lock);  // takes indices until none is left
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int count_ = 0, next_ = 0, running_ = 0;
  long generation_ = 0;
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace bidir
