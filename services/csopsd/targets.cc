#include "services/csopsd/targets.h"

#include <algorithm>
#include <sstream>

namespace csops::csopsd {

const char* TargetName(Target t) {
  switch (t) {
    case Target::kQueue:
      return "queue";
    case Target::kCase:
      return "case";
    case Target::kNotify:
      return "notify";
  }
  return "?";
}

const char* HealthServiceName(Target t) {
  switch (t) {
    case Target::kQueue:
      return "csops.queue.v1.QueueService";
    case Target::kCase:
      return "csops.case.v1.CaseService";
    case Target::kNotify:
      return "csops.notify.v1.NotifyService";
  }
  return "?";
}

Result<std::vector<Target>> ParseTargets(const std::string& text) {
  const std::vector<Target> all = {Target::kQueue, Target::kCase, Target::kNotify};
  if (text == "all") return all;
  std::vector<Target> out;
  std::stringstream in(text);
  std::string item;
  bool any = false;
  while (std::getline(in, item, ',')) {
    any = true;
    auto it = std::find_if(all.begin(), all.end(), [&](Target t) { return item == TargetName(t); });
    if (it == all.end())
      return Status::InvalidArgument("--target: '" + item +
                                     "' is not one of all, queue, case, notify");
    if (std::find(out.begin(), out.end(), *it) != out.end())
      return Status::InvalidArgument("--target: '" + item + "' is listed twice");
    out.push_back(*it);
  }
  if (!any || text.back() == ',')
    return Status::InvalidArgument(
        "--target: must be 'all' or a comma list of queue, case, notify");
  std::sort(out.begin(), out.end());
  return out;
}

std::string JoinTargetNames(const std::vector<Target>& targets) {
  std::string s;
  for (Target t : targets) {
    if (!s.empty()) s += ',';
    s += TargetName(t);
  }
  return s;
}

}  // namespace csops::csopsd
