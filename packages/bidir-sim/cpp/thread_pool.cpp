#include "thread_pool.hpp"

#include <stdexcept>

namespace bidir {

ThreadPool::ThreadPool(int threads, std::function<void()> workerInit) {
  if (threads < 1) throw std::invalid_argument("ThreadPool: need at least one thread");
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, workerInit] { work(workerInit); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::work(const std::function<void()>& init) {
  if (init) init();
  long seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    runIndices(lock);
    if (--running_ == 0) done_.notify_all();
  }
}

// Indices are taken one at a time: envs differ in cost (contacts, resets), so static splits idle.
void ThreadPool::runIndices(std::unique_lock<std::mutex>& lock) {
  while (next_ < count_) {
    const int i = next_++;
    lock.unlock();
    try {
      (*task_)(i);
    } catch (...) {
      lock.lock();
      errors_[i] = std::current_exception();
      lock.unlock();
    }
    lock.lock();
  }
}

void ThreadPool::parallelFor(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    task_ = &fn;
    count_ = n;
    next_ = 0;
    running_ = static_cast<int>(workers_.size());
    errors_.assign(n, nullptr);
    if (running_ > 0) {
      ++generation_;
      wake_.notify_all();
    }
    runIndices(lock);  // the caller works too
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
  }
  for (int i = 0; i < n; ++i)
    if (errors_[i]) std::rethrow_exception(errors_[i]);
}

}  // namespace bidir
