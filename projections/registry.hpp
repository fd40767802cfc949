// The registry: every projection ledgerflow ships, by name. Adding a
// projection is a folder under projections/ and one line in registry.cpp.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "projections/projection.hpp"

namespace lf::projections {

// Every projection ledgerflow ships, in a fixed order.
std::vector<std::unique_ptr<Projection>> all_projections();
// The projection named `name`, or null.
std::unique_ptr<Projection> make_projection(std::string_view name);

}  // namespace lf::projections
