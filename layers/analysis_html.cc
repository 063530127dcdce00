// RenderAnalysisHtml (declared in image_analysis.h): `kiln analyze --html`. The page is built
// here, whole: the treemap is laid out in C++ (squarified, Bruls/Huizing/van Wijk 2000) and
// written as SVG, so the file needs no script, font or request to show, and stays bounded
// (kMaxRects rectangles, kMaxRows table rows) however many files the image has.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "layers/image_analysis.h"
#include "layers/image_inspect.h"

namespace kiln::layers {
namespace {

constexpr size_t kMaxRects = 3000;  // treemap rectangles (labels and frames included)
constexpr size_t kMaxRows = 100;    // wasted-space rows
constexpr double kWidth = 1160, kHeight = 640;

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Size(uint64_t n) { return HumanSize(static_cast<int64_t>(n)); }

// Base layers in greys, added layers in hues far apart (golden angle).
std::string LayerColor(const ImageAnalysis& a, size_t layer) {
  char buf[48];
  if (layer < a.base_layers) {
    int light = 62 + static_cast<int>((layer * 7) % 20);
    std::snprintf(buf, sizeof buf, "hsl(215,12%%,%d%%)", light);
  } else {
    double hue = std::fmod(20.0 + 137.508 * double(layer - a.base_layers), 360.0);
    std::snprintf(buf, sizeof buf, "hsl(%.0f,70%%,55%%)", hue);
  }
  return buf;
}

struct Node {
  std::string name, path;
  uint64_t bytes = 0, files = 0;
  std::map<size_t, uint64_t> by_layer;
  std::map<std::string, std::unique_ptr<Node>> kids;
  bool file = false;
  size_t Dominant() const {
    size_t best = 0;
    uint64_t most = 0;
    for (const auto& [l, b] : by_layer)
      if (b > most || most == 0) best = l, most = b;
    return best;
  }
};

struct Rect {
  double x, y, w, h;
};

// One child to lay out: a node, or the aggregate of the smallest ones.
struct Item {
  const Node* node = nullptr;
  uint64_t bytes = 0, files = 0;
  std::map<size_t, uint64_t> by_layer;  // aggregates only
  size_t count = 0;                     // aggregates: entries folded in
};

double Worst(const std::vector<double>& row, double side) {
  double sum = 0, mx = 0, mn = 1e300;
  for (double v : row) sum += v, mx = std::max(mx, v), mn = std::min(mn, v);
  double s2 = side * side, sum2 = sum * sum;
  return std::max(s2 * mx / sum2, sum2 / (s2 * mn));
}

// Squarified layout of `areas` (descending, summing to r.w*r.h) into `r`.
std::vector<Rect> Squarify(const std::vector<double>& areas, Rect r) {
  std::vector<Rect> out;
  size_t i = 0;
  while (i < areas.size()) {
    double side = std::min(r.w, r.h);
    std::vector<double> row{areas[i]};
    size_t j = i + 1;
    while (j < areas.size()) {
      auto next = row;
      next.push_back(areas[j]);
      if (Worst(next, side) > Worst(row, side)) break;
      row = std::move(next);
      ++j;
    }
    double sum = 0;
    for (double v : row) sum += v;
    if (r.w >= r.h) {  // a column on the left
      double cw = r.h > 0 ? sum / r.h : 0;
      double y = r.y;
      for (double v : row) {
        double h = cw > 0 ? v / cw : 0;
        out.push_back({r.x, y, cw, h});
        y += h;
      }
      r.x += cw, r.w -= cw;
    } else {  // a row on top
      double rh = r.w > 0 ? sum / r.w : 0;
      double x = r.x;
      for (double v : row) {
        double w = rh > 0 ? v / rh : 0;
        out.push_back({x, r.y, w, rh});
        x += w;
      }
      r.y += rh, r.h -= rh;
    }
    i = j;
  }
  return out;
}

class Treemap {
 public:
  explicit Treemap(const ImageAnalysis& a) : a_(a) {}

  std::string Render(const Node& root) {
    svg_ = "<svg id=\"treemap\" width=\"" + Num(kWidth) +
           "\" height=\"" + Num(kHeight) + "\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(kHeight) +
           "\" role=\"img\" aria-label=\"size treemap\">\n";
    Children(root, {0, 0, kWidth, kHeight}, 0);
    svg_ += "</svg>\n";
    return svg_;
  }

 private:
  void Box(const Rect& r, const std::string& fill, const std::string& title, bool frame) {
    ++rects_;
    svg_ += "<rect x=\"" + Num(r.x) + "\" y=\"" + Num(r.y) + "\" width=\"" + Num(std::max(0.0, r.w)) +
            "\" height=\"" + Num(std::max(0.0, r.h)) + "\" fill=\"" + fill + "\"" +
            (frame ? " class=\"dir\"" : "") + "><title>" + Esc(title) + "</title></rect>\n";
  }
  void Label(const Rect& r, const std::string& text, bool dir) {
    // About 6.5 px per character at 11 px: cut what does not fit.
    size_t fit = static_cast<size_t>(std::max(0.0, (r.w - 6) / 6.5));
    if (fit < 3) return;
    std::string t = text.size() > fit ? text.substr(0, fit - 1) + "~" : text;
    svg_ += "<text x=\"" + Num(r.x + 3) + "\" y=\"" + Num(r.y + 11) + "\"" +
            (dir ? " class=\"dirlabel\"" : "") + ">" + Esc(t) + "</text>\n";
  }
  std::string Title(const std::string& path, uint64_t bytes, uint64_t files, size_t layer) const {
    return path + "  " + Size(bytes) + (files > 1 ? ", " + std::to_string(files) + " files" : "") +
           ", mostly layer " + std::to_string(layer);
  }

  void Draw(const Item& it, const Rect& r, int depth) {
    if (it.node == nullptr) {  // an aggregate of small entries
      size_t layer = 0;
      uint64_t most = 0;
      for (const auto& [l, b] : it.by_layer)
        if (b > most || most == 0) layer = l, most = b;
      Box(r, LayerColor(a_, layer),
          std::to_string(it.count) + " smaller entries  " + Size(it.bytes) + ", mostly layer " +
              std::to_string(layer),
          false);
      return;
    }
    const Node& n = *it.node;
    size_t layer = n.Dominant();
    bool open = !n.file && !n.kids.empty() && r.w >= 36 && r.h >= 30 && rects_ < kMaxRects;
    if (!open) {
      Box(r, LayerColor(a_, layer), Title(n.path, n.bytes, n.files, layer), false);
      if (r.h >= 14) Label(r, n.name, false);
      return;
    }
    Box(r, "#fafafa", Title(n.path, n.bytes, n.files, layer), true);
    Label(r, n.name + "  " + Size(n.bytes), true);
    Children(n, {r.x + 2, r.y + 15, r.w - 4, r.h - 17}, depth + 1);
  }

  void Children(const Node& n, Rect r, int depth) {
    if (r.w <= 1 || r.h <= 1 || n.bytes == 0) return;
    std::vector<const Node*> kids;
    for (const auto& [k, c] : n.kids)
      if (c->bytes > 0) kids.push_back(c.get());
    std::sort(kids.begin(), kids.end(), [](const Node* x, const Node* y) {
      return x->bytes != y->bytes ? x->bytes > y->bytes : x->name < y->name;
    });
    double scale = r.w * r.h / double(n.bytes);
    // Entries smaller than ~40 px² (or past the rectangle budget) become one aggregate.
    std::vector<Item> items;
    Item rest;
    size_t budget = kMaxRects > rects_ ? (kMaxRects - rects_) : 0;
    for (const Node* c : kids) {
      bool small = double(c->bytes) * scale < 40 || items.size() + 1 >= std::max<size_t>(budget / 2, 1);
      if (!small) {
        items.push_back({c, c->bytes, c->files, {}, 1});
        continue;
      }
      rest.bytes += c->bytes;
      rest.files += c->files;
      rest.count += 1;
      for (const auto& [l, b] : c->by_layer) rest.by_layer[l] += b;
    }
    if (rest.count == 1) {  // one entry is shown as itself
      for (const Node* c : kids)
        if (std::none_of(items.begin(), items.end(), [&](const Item& i) { return i.node == c; })) {
          items.push_back({c, c->bytes, c->files, {}, 1});
          break;
        }
    } else if (rest.count > 1) {
      items.push_back(std::move(rest));
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& x, const Item& y) { return x.bytes > y.bytes; });
    std::vector<double> areas;
    for (const auto& it : items) areas.push_back(double(it.bytes) * scale);
    auto rects = Squarify(areas, r);
    for (size_t i = 0; i < items.size(); ++i) Draw(items[i], rects[i], depth);
  }

  const ImageAnalysis& a_;
  std::string svg_;
  size_t rects_ = 0;
};

std::unique_ptr<Node> BuildTree(const ImageAnalysis& a) {
  auto root = std::make_unique<Node>();
  root->name = "/";
  root->path = "/";
  for (const auto& f : a.files) {
    Node* n = root.get();
    auto add = [&](Node* x) {
      x->bytes += f.bytes;
      x->files += 1;
      x->by_layer[f.layer] += f.bytes;
    };
    add(n);
    size_t start = 0;
    while (start <= f.path.size()) {
      size_t slash = f.path.find('/', start);
      std::string part = f.path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!part.empty()) {
        auto& child = n->kids[part];
        if (!child) {
          child = std::make_unique<Node>();
          child->name = part;
          child->path = f.path.substr(0, slash == std::string::npos ? f.path.size() : slash);
        }
        n = child.get();
        add(n);
      }
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    n->file = true;
  }
  return root;
}

std::string BarChart(const ImageAnalysis& a) {
  uint64_t most = 1;
  for (const auto& l : a.layers)
    most = std::max({most, static_cast<uint64_t>(l.blob.size), l.tar_size, l.wasted_bytes});
  const double label_w = 330, bar_w = 640, row_h = 40;
  double h = row_h * double(a.layers.size()) + 10;
  std::string s = "<svg id=\"layers\" width=\"" +
                  Num(label_w + bar_w + 160) + "\" height=\"" + Num(h) + "\" role=\"img\" " +
                  "aria-label=\"layer sizes\">\n";
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& l = a.layers[i];
    double y = 5 + row_h * double(i);
    std::string cmd = l.created_by.empty() ? (l.metadata_only ? "(metadata only)" : "") : l.created_by;
    if (cmd.size() > 44) cmd = cmd.substr(0, 43) + "~";
    s += "<rect x=\"0\" y=\"" + Num(y) + "\" width=\"10\" height=\"30\" fill=\"" + LayerColor(a, i) +
         "\"/>\n<text x=\"16\" y=\"" + Num(y + 13) + "\">#" + std::to_string(i) +
         (l.base ? " base" : "") + "</text>\n<text x=\"16\" y=\"" + Num(y + 27) +
         "\" class=\"cmd\">" + Esc(cmd) + "</text>\n";
    const std::pair<const char*, uint64_t> bars[] = {
        {"compressed", static_cast<uint64_t>(l.blob.size)}, {"uncompressed", l.tar_size}, {"wasted", l.wasted_bytes}};
    for (size_t b = 0; b < 3; ++b) {
      double w = bar_w * double(bars[b].second) / double(most);
      double by = y + 10.0 * double(b);
      s += "<rect class=\"bar " + std::string(bars[b].first) + "\" x=\"" + Num(label_w) + "\" y=\"" +
           Num(by) + "\" width=\"" + Num(std::max(w, bars[b].second ? 1.0 : 0.0)) +
           "\" height=\"9\"><title>layer " + std::to_string(i) + " " + bars[b].first + ": " +
           Size(bars[b].second) + "</title></rect>\n<text x=\"" + Num(label_w + w + 4) + "\" y=\"" +
           Num(by + 8) + "\" class=\"small\">" + Size(bars[b].second) + "</text>\n";
    }
  }
  s += "</svg>\n";
  return s;
}

constexpr const char* kStyle = R"(
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:20px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555}.grid{display:flex;gap:24px;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.card b{display:block;font-size:18px}
svg text{font:11px system-ui,sans-serif;fill:#111;pointer-events:none}
svg text.cmd{fill:#555}svg text.small{font-size:9px;fill:#444}
svg text.dirlabel{font-weight:600}
#treemap rect{stroke:#fff;stroke-width:0.6}#treemap rect.dir{stroke:#999;stroke-width:0.8}
#treemap rect:hover{opacity:.8}
.bar.compressed{fill:#3b7dd8}.bar.uncompressed{fill:#5bb174}.bar.wasted{fill:#d9534f}
.key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums}
ul.layers{columns:2;list-style:none;padding:0}ul.layers span{display:inline-block;width:10px;height:10px;margin-right:6px}
)";

}  // namespace

std::string RenderAnalysisHtml(const ImageAnalysis& a) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kiln analyze: " +
                  Esc(a.name) + "</title>\n<style>" + kStyle + "</style>\n</head><body>\n";
  h += "<h1>" + Esc(a.name) + "</h1>\n<div class=\"meta\">" + std::string(LayerFlavorName(a.flavor)) +
       " image, manifest " + Esc(a.manifest.digest.ToString()) + ", " + std::to_string(a.layers.size()) +
       " layers (" + std::to_string(a.base_layers) + " base)</div>\n";
  uint64_t compressed = 0, tar = 0;
  for (const auto& l : a.layers) compressed += static_cast<uint64_t>(l.blob.size), tar += l.tar_size;
  char eff[32];
  std::snprintf(eff, sizeof eff, "%.1f %%", a.dive.efficiency * 100);
  h += "<div class=\"grid\" style=\"margin-top:12px\">";
  auto card = [&](const std::string& title, const std::string& value) {
    h += "<div class=\"card\">" + Esc(title) + "<b>" + Esc(value) + "</b></div>";
  };
  card("compressed", Size(compressed));
  card("uncompressed (tar)", Size(tar));
  card("files", std::to_string(a.files.size()));
  card("efficiency (dive)", eff);
  card("wasted (dive)", Size(a.dive.wasted_bytes));
  card("added above base", Size(a.added_compressed_bytes) + " compressed");
  h += "</div>\n";

  h += "<h2>Where the bytes are</h2>\n<p class=\"meta\">The flattened filesystem a container sees; "
       "each box is a file or directory, its area its size, its colour the layer that wrote it "
       "(directories and aggregated small entries: the layer that wrote most of their bytes).</p>\n";
  auto root = BuildTree(a);
  h += Treemap(a).Render(*root);
  h += "<ul class=\"layers\">";
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& l = a.layers[i];
    std::string cmd = l.created_by.empty() ? (l.metadata_only ? "(metadata only)" : "") : l.created_by;
    if (cmd.size() > 80) cmd = cmd.substr(0, 79) + "~";
    h += "<li><span style=\"background:" + LayerColor(a, i) + "\"></span>layer " + std::to_string(i) +
         (l.base ? " (base)" : "") + " " + Esc(cmd) + "</li>";
  }
  h += "</ul>\n<h3>Largest directories</h3>\n<table>";
  for (const auto& d : a.largest_dirs)
    h += "<tr><td class=\"n\">" + Size(d.bytes) + "</td><td>" + Esc(d.path) + "</td></tr>";
  h += "</table>\n";

  h += "<h2>Layers</h2>\n<div class=\"key\"><span style=\"background:#3b7dd8\"></span>compressed"
       "<span style=\"background:#5bb174\"></span>uncompressed (tar)"
       "<span style=\"background:#d9534f\"></span>wasted (overwritten or deleted by a later layer)</div>\n";
  h += BarChart(a);

  h += "<h2>Wasted space</h2>\n";
  if (a.dive.inefficiencies.empty()) {
    h += "<p>No path is in more than one layer.</p>\n";
  } else {
    h += "<table><tr><th>layers</th><th>total size</th><th>path</th></tr>";
    size_t n = 0;
    uint64_t rest = 0, rest_count = 0;
    for (const auto& w : a.dive.inefficiencies) {
      if (n++ < kMaxRows) {
        h += "<tr><td class=\"n\">" + std::to_string(w.count) + "</td><td class=\"n\">" +
             Size(w.cumulative_size) + "</td><td>" + Esc(w.path) + "</td></tr>";
      } else {
        rest += w.cumulative_size;
        ++rest_count;
      }
    }
    if (rest_count)
      h += "<tr><td></td><td class=\"n\">" + Size(rest) + "</td><td>" + std::to_string(rest_count) +
           " more paths</td></tr>";
    h += "</table>\n";
  }

  h += "<h2>Shrink opportunities</h2>\n<p class=\"meta\">What <code>kiln shrink</code> would do "
       "(bytes uncompressed).</p>\n<ul>";
  for (const auto& line : ShrinkOpportunities(a)) h += "<li>" + Esc(line) + "</li>";
  h += "</ul>\n</body></html>\n";
  return h;
}

}  // namespace kiln::layers
