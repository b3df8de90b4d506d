#pragma once
// The [torrents] options both load_test modes share: how many torrents, and how unevenly popular
// (both configurations hold a udp_torrent_config named `torrents`).

#include <vector>

#include "tracker/config/option_table.hpp"
#include "udp_load_config.hpp"

namespace riptide::load_test {

template <typename Config>
std::vector<config::option<Config>> torrent_options() {
  using option = config::option<Config>;
  return {
      option::integer("torrents", "count", "torrents", 1, 100'000'000, [](auto& c) -> auto& { return c.torrents.count; },
                      "Number of distinct torrents (info hashes)."),
      option::template enumeration<popularity_distribution>(
          "torrents", "distribution",
          {{"pareto", popularity_distribution::pareto},
           {"gamma", popularity_distribution::gamma},
           {"uniform", popularity_distribution::uniform}},
          [](auto& c) -> auto& { return c.torrents.distribution; },
          "How torrent ranks are drawn: pareto, gamma or uniform. Ranks past count wrap around."),
      option::real("torrents", "pareto_shape", "", 0.01, 100.0, [](auto& c) -> auto& { return c.torrents.pareto_shape; },
                   "Pareto: rank = floor(scale * (X - 1)), X ~ Pareto(1, shape);\n"
                   "P(rank >= k) = (1 + k / scale)^-shape. Smaller is more skewed."),
      option::real("torrents", "pareto_scale", "torrents", 0.01, 1e9,
                   [](auto& c) -> auto& { return c.torrents.pareto_scale; },
                   "Pareto: with shape 1, half of the draws fall on the first `scale` ranks."),
      option::real("torrents", "gamma_shape", "", 0.001, 1000.0, [](auto& c) -> auto& { return c.torrents.gamma_shape; },
                   "Gamma: rank = floor(X), X ~ Gamma(shape, scale)."),
      option::real("torrents", "gamma_scale", "", 0.001, 1e9, [](auto& c) -> auto& { return c.torrents.gamma_scale; },
                   "Gamma: the scale of X."),
  };
}

}  // namespace riptide::load_test
