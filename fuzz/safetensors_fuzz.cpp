// A model file as `momenta eval` loads it: the safetensors reader, the model rebuilt from the
// file's metadata, and its tensors loaded into it.
#include "fuzz_common.h"
#include "momenta/io/safetensors.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  fuzz::expect_only_momenta_errors([&] {
    const io::SafetensorsFile st = io::load_safetensors(file.path());
    (void)st.find("0.weight");
    const cli::ModelSpec spec = cli::ModelSpec::from_metadata(st.metadata, file.path());
    auto model = cli::build_model(spec);
    model->finalize();
    model->load_state_dict(st.tensors);
  });
  return 0;
}
