// `grpo plot`: the curves of run directories drawn with Cairo. The panels are those a TRL user
// looks at first (reward, each reward function, held-out pass@1, KL, the reverse KL to a teacher,
// entropy, completion length, clip ratios, learning rate, step time), with the runs overlaid.
#include "cli/plot.h"

#include <c10/util/Exception.h>
#include <cairo.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>

namespace grpo::cli {
namespace {

// A run: for each metric key, its value at each step. Evaluation results are under "eval/<key>".
struct Run {
  std::string name;
  std::map<std::string, std::map<int64_t, double>> values;
};

struct Curve {
  std::string key;     // the value
  std::string spread;  // drawn as a band value ± spread; empty for none
  std::string label;   // in the panel title when a panel has several curves
};

struct Panel {
  std::string title;
  std::vector<Curve> curves;
};

// Adds every number of `object` (but "step") at `step` under `prefix` + key.
void add_numbers(Run& run, const nlohmann::json& object, int64_t step, const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    if (key != "step" && value.is_number()) run.values[prefix + key][step] = value.get<double>();
  }
}

// Reads `path` line by line as JSON objects with an integer "step"; returns false if the file does not exist.
template <typename OnLine>
bool read_jsonl(const std::string& path, OnLine&& on_line) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    TORCH_CHECK(!j.is_discarded() && j.is_object() && j.contains("step") && j["step"].is_number_integer(), path,
                ":", number, ": not a JSON object with an integer \"step\"");
    on_line(j, j["step"].get<int64_t>());
  }
  return true;
}

Run load_run(const std::string& dir) {
  Run run;
  std::string name = dir;
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  run.name = name;
  const auto metrics = dir + "/metrics.jsonl";
  const bool found = read_jsonl(metrics, [&](const nlohmann::json& j, int64_t step) { add_numbers(run, j, step, ""); });
  TORCH_CHECK(found, "no ", metrics, ": '", dir, "' is not a run directory written by grpo train or grpo sft");
  TORCH_CHECK(!run.values.empty(), metrics, " has no steps");
  read_jsonl(dir + "/eval.jsonl", [&](const nlohmann::json& j, int64_t step) {
    if (j.contains("eval") && j["eval"].is_object()) add_numbers(run, j["eval"], step, "eval/");
  });
  return run;
}

std::vector<Panel> panels_of(const std::vector<Run>& runs) {
  std::set<std::string> reward_functions;
  for (const auto& run : runs) {
    for (const auto& [key, values] : run.values) {
      const std::string prefix = "rewards/", suffix = "/mean";
      if (key.rfind(prefix, 0) == 0 && key.size() > prefix.size() + suffix.size() &&
          key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
        reward_functions.insert(key.substr(prefix.size(), key.size() - prefix.size() - suffix.size()));
      }
    }
  }
  std::vector<Panel> all = {{"reward (mean ± std)", {{"reward", "reward_std", ""}}}};
  for (const auto& name : reward_functions) {
    all.push_back({"reward " + name + " (mean ± std)", {{"rewards/" + name + "/mean", "rewards/" + name + "/std", ""}}});
  }
  const std::vector<Panel> rest = {
      {"held-out pass@1 (± s.e.)", {{"eval/pass_at_1", "eval/pass_at_1_stderr", ""}}},
      {"KL to the reference", {{"kl", "", ""}}},
      {"reverse KL to the teacher", {{"distill/reverse_kl", "", ""}}},
      {"entropy (nats/token)", {{"entropy", "", ""}}},
      {"completion length (tokens, mean)", {{"completions/mean_length", "", ""}}},
      {"clip ratio", {{"clip_ratio/region_mean", "", "region"}, {"clip_ratio/low_mean", "", "low"},
                      {"clip_ratio/high_mean", "", "high"}}},
      {"loss", {{"loss", "", ""}}},
      {"learning rate", {{"learning_rate", "", ""}}},
      {"gradient norm", {{"grad_norm", "", ""}}},
      {"step time (s)", {{"step_seconds", "", ""}}},
  };
  all.insert(all.end(), rest.begin(), rest.end());
  std::vector<Panel> present;
  for (const auto& panel : all) {
    const bool any = std::any_of(runs.begin(), runs.end(), [&](const Run& run) {
      return std::any_of(panel.curves.begin(), panel.curves.end(),
                         [&](const Curve& c) { return run.values.count(c.key) != 0; });
    });
    if (any) present.push_back(panel);
  }
  return present;
}

// About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten).
std::vector<double> ticks(double lo, double hi, int count) {
  const double raw = (hi - lo) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string number_label(double v) {
  std::array<char, 32> buffer{};
  const double a = std::abs(v);
  std::snprintf(buffer.data(), buffer.size(), (a != 0 && (a >= 1e5 || a < 1e-3)) ? "%.0e" : "%.4g", v);
  return buffer.data();
}

struct Rgb {
  double r, g, b;
};
// Matplotlib's tab10 colours, one per run.
const std::array<Rgb, 10> kColours = {{{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                       {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                       {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                                       {0.090, 0.745, 0.812}}};
const std::array<std::vector<double>, 3> kDashes = {{{}, {6.0, 3.0}, {2.0, 2.0}}};

constexpr int kPanelWidth = 420, kPanelHeight = 280, kHeader = 40, kColumns = 3;
constexpr double kLeft = 62, kRight = 14, kTop = 28, kBottom = 34;

void draw_text(cairo_t* cr, const std::string& text, double x, double y, double align_x, double align_y) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  cairo_move_to(cr, x - align_x * e.width - e.x_bearing, y - align_y * e.height - e.y_bearing);
  cairo_show_text(cr, text.c_str());
}

void draw_panel(cairo_t* cr, const Panel& panel, const std::vector<Run>& runs, double x0, double y0) {
  // The data range: every curve of every run, with its band.
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const auto& run : runs) {
    for (const auto& curve : panel.curves) {
      const auto it = run.values.find(curve.key);
      if (it == run.values.end()) continue;
      const auto spread = run.values.find(curve.spread);
      for (const auto& [step, v] : it->second) {
        double s = 0;
        if (spread != run.values.end() && spread->second.count(step) != 0) s = std::abs(spread->second.at(step));
        xmin = std::min(xmin, static_cast<double>(step));
        xmax = std::max(xmax, static_cast<double>(step));
        ymin = std::min(ymin, v - s);
        ymax = std::max(ymax, v + s);
      }
    }
  }
  if (xmax <= xmin) xmin -= 1, xmax += 1;
  if (ymax <= ymin) {
    const double pad = std::max(std::abs(ymin) * 0.1, 1e-3);
    ymin -= pad, ymax += pad;
  }
  const double margin = (ymax - ymin) * 0.05;
  ymin -= margin, ymax += margin;

  const double left = x0 + kLeft, right = x0 + kPanelWidth - kRight, top = y0 + kTop, bottom = y0 + kPanelHeight - kBottom;
  const auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * (right - left); };
  const auto py = [&](double y) { return bottom - (y - ymin) / (ymax - ymin) * (bottom - top); };

  // Title (with the line style of each curve when there are several), grid, ticks, frame.
  std::string title = panel.title;
  if (panel.curves.size() > 1) {
    title += ":";
    const char* styles[] = {" solid", " dashed", " dotted"};
    for (size_t c = 0; c < panel.curves.size(); ++c) title += " " + panel.curves[c].label + styles[c % 3] + (c + 1 < panel.curves.size() ? "," : "");
  }
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_font_size(cr, 13);
  draw_text(cr, title, (left + right) / 2, y0 + 14, 0.5, 0.5);
  cairo_set_font_size(cr, 10.5);
  cairo_set_line_width(cr, 1.0);
  for (const double t : ticks(ymin, ymax, 5)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, left, std::round(py(t)) + 0.5);
    cairo_line_to(cr, right, std::round(py(t)) + 0.5);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    draw_text(cr, number_label(t), left - 5, py(t), 1.0, 0.5);
  }
  for (const double t : ticks(xmin, xmax, 6)) {
    if (std::abs(t - std::round(t)) > 1e-9) continue;  // steps are integers
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, std::round(px(t)) + 0.5, top);
    cairo_line_to(cr, std::round(px(t)) + 0.5, bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    draw_text(cr, number_label(t), px(t), bottom + 5, 0.5, 0.0);
  }
  draw_text(cr, "step", (left + right) / 2, bottom + 19, 0.5, 0.0);
  cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
  cairo_rectangle(cr, left + 0.5, top + 0.5, right - left - 1, bottom - top - 1);
  cairo_stroke(cr);

  // The curves, clipped to the plot area: a translucent band, then the line (a dot for one point).
  cairo_save(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  for (size_t r = 0; r < runs.size(); ++r) {
    const auto& colour = kColours[r % kColours.size()];
    for (size_t c = 0; c < panel.curves.size(); ++c) {
      const auto& curve = panel.curves[c];
      const auto it = runs[r].values.find(curve.key);
      if (it == runs[r].values.end()) continue;
      const auto& points = it->second;
      const auto spread = runs[r].values.find(curve.spread);
      if (spread != runs[r].values.end() && points.size() > 1) {
        const auto s = [&](int64_t step) {
          const auto found = spread->second.find(step);
          return found == spread->second.end() ? 0.0 : std::abs(found->second);
        };
        bool first = true;
        for (const auto& [step, v] : points) {
          first ? cairo_move_to(cr, px(static_cast<double>(step)), py(v + s(step)))
                : cairo_line_to(cr, px(static_cast<double>(step)), py(v + s(step)));
          first = false;
        }
        for (auto p = points.rbegin(); p != points.rend(); ++p) cairo_line_to(cr, px(static_cast<double>(p->first)), py(p->second - s(p->first)));
        cairo_close_path(cr);
        cairo_set_source_rgba(cr, colour.r, colour.g, colour.b, 0.18);
        cairo_fill(cr);
      }
      cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
      cairo_set_line_width(cr, 1.8);
      const auto& dash = kDashes[c % kDashes.size()];
      cairo_set_dash(cr, dash.data(), static_cast<int>(dash.size()), 0);
      if (points.size() == 1) {
        cairo_arc(cr, px(static_cast<double>(points.begin()->first)), py(points.begin()->second), 3.0, 0, 2 * M_PI);
        cairo_fill(cr);
      } else {
        bool first = true;
        for (const auto& [step, v] : points) {
          first ? cairo_move_to(cr, px(static_cast<double>(step)), py(v)) : cairo_line_to(cr, px(static_cast<double>(step)), py(v));
          first = false;
        }
        cairo_stroke(cr);
      }
      cairo_set_dash(cr, nullptr, 0, 0);
    }
  }
  cairo_restore(cr);
}

}  // namespace

PlotSize write_plot(const std::vector<std::string>& run_dirs, const std::string& output) {
  TORCH_CHECK(!run_dirs.empty(), "no run directory given");
  std::vector<Run> runs;
  for (const auto& dir : run_dirs) runs.push_back(load_run(dir));
  const auto panels = panels_of(runs);
  TORCH_CHECK(!panels.empty(), "the runs have none of the metrics grpo plot draws (reward, loss, learning_rate, ...)");

  const int columns = std::min<int>(kColumns, static_cast<int>(panels.size()));
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  const PlotSize size{columns * kPanelWidth, kHeader + rows * kPanelHeight};
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, size.width, size.height), cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> context(cairo_create(surface.get()), cairo_destroy);
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

  // Header: one coloured entry per run.
  cairo_set_font_size(cr, 13);
  double x = 16;
  for (size_t r = 0; r < runs.size(); ++r) {
    const auto& colour = kColours[r % kColours.size()];
    cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
    cairo_rectangle(cr, x, kHeader / 2.0 - 2, 22, 4);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_text_extents_t e;
    cairo_text_extents(cr, runs[r].name.c_str(), &e);
    draw_text(cr, runs[r].name, x + 28, kHeader / 2.0, 0.0, 0.5);
    x += 28 + e.x_advance + 24;
  }

  for (size_t p = 0; p < panels.size(); ++p) {
    const int column = static_cast<int>(p) % columns, row = static_cast<int>(p) / columns;
    draw_panel(cr, panels[p], runs, column * kPanelWidth, kHeader + row * kPanelHeight);
  }
  cairo_surface_flush(surface.get());
  const auto status = cairo_surface_write_to_png(surface.get(), output.c_str());
  TORCH_CHECK(status == CAIRO_STATUS_SUCCESS, "cannot write ", output, ": ", cairo_status_to_string(status));
  return size;
}

}  // namespace grpo::cli
