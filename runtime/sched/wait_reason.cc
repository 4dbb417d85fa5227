// wait_reason.cc: the text and kind of each WaitReason (wait_reason.def).
#include "green.h"

namespace green {

const char* wait_reason_text(WaitReason why) {
  switch (why) {
#define X(name, text, external) \
  case WaitReason::name:        \
    return text;
#include "sched/wait_reason.def"
#undef X
  }
  return "?";
}

bool wait_reason_external(WaitReason why) {
  switch (why) {
#define X(name, text, external) \
  case WaitReason::name:        \
    return external;
#include "sched/wait_reason.def"
#undef X
  }
  return true;
}

}  // namespace green
