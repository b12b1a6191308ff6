// control/feed_check.h — `iocgate feed check`: parse feeds without touching any live table
// and say what each holds or why it is refused.
#pragma once

#include <string>
#include <vector>

namespace iocgate {

// Returns 0 when every file would be accepted, 2 otherwise.
int run_feed_check(const std::vector<std::string>& files, bool json);

}  // namespace iocgate
