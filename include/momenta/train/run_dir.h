// NOTE [run directory]: one training run owns its output directory (metrics.jsonl, metrics.csv,
// checkpoint.safetensors, model*.safetensors) while it runs.
// - RunDirLock takes an exclusive flock on DIR/.lock for the life of the run. The kernel drops it
//   when the process ends, however it ends, so a killed run never leaves a stale lock; a second
//   run on the same directory is refused, naming the pid that holds it (written into the file).
// - Atomic saves write NAME.tmp.PID and rename it over NAME (io/safetensors.cpp). A run killed
//   mid-save leaves the temporary file behind; remove_stale_temp_files deletes those whose PID is
//   no longer a running process (call it while holding the lock, so no live run of this directory
//   is writing one).
// - Metrics are written before the epoch's checkpoint, so a run killed between the two has one
//   more epoch in its metrics than its checkpoint covers. A resumed run therefore cuts the metrics
//   files back to the checkpoint's epochs (truncate_metrics) before appending: the epoch is then
//   logged once, by the run that completes it. (Writing metrics after the checkpoint would lose
//   that epoch's line instead: the resumed run starts after it.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace momenta::train {

class RunDirLock {
 public:
  // Locks DIR/.lock (creating it); IOError when another process holds it or it cannot be made.
  explicit RunDirLock(const std::string& dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Removes the files of `dir` named NAME.tmp.PID (PID all digits) whose PID is not a running
// process, and returns their paths. Other files are never touched.
std::vector<std::string> remove_stale_temp_files(const std::string& dir);

// Cuts a metrics file (JSONL, or CSV when the path ends in ".csv") after its last record of an
// epoch <= last_epoch, dropping later records and a torn last line; a missing file is left
// alone. Returns the number of lines removed. IOError when the file cannot be read or cut.
int64_t truncate_metrics(const std::string& path, int64_t last_epoch);

}  // namespace momenta::train
