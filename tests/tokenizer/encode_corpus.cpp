// The C++ side of the tokenizer parity test and benchmark: encodes every record of a corpus
// (one record per line, as the hex of its bytes, see make_corpus.py) with BpeTokenizer.
//
//   grpo_tokenizer_encode TOKENIZER_JSON CORPUS_HEX OUT [REPEATS]
//
// OUT gets one line per record: "<ids, space-separated>\t<hex of decode(ids)>".
// stdout gets the encoding time: the first pass (empty word cache) and the best of REPEATS
// further passes (default 0), single-threaded, without load time or file I/O.
#include <grpo/tokenizer/bpe_tokenizer.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

std::string to_hex(const std::string& bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (const char c : bytes) {
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return hex;
}

double encode_all(const grpo::BpeTokenizer& tokenizer, const std::vector<std::string>& records,
                  std::vector<std::vector<int64_t>>& ids) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < records.size(); ++i) ids[i] = tokenizer.encode(records[i]);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::cerr << "usage: " << argv[0] << " TOKENIZER_JSON CORPUS_HEX OUT [REPEATS]\n";
    return 2;
  }
  try {
    const grpo::BpeTokenizer tokenizer(argv[1]);
    std::ifstream in(argv[2]);
    if (!in) {
      std::cerr << "cannot open " << argv[2] << "\n";
      return 2;
    }
    std::vector<std::string> records;
    size_t bytes = 0;
    for (std::string line; std::getline(in, line);) {
      records.push_back(from_hex(line));
      bytes += records.back().size();
    }
    std::vector<std::vector<int64_t>> ids(records.size());
    const double first = encode_all(tokenizer, records, ids);
    double best = first;
    const int repeats = argc == 5 ? std::atoi(argv[4]) : 0;
    for (int r = 0; r < repeats; ++r) best = std::min(best, encode_all(tokenizer, records, ids));

    std::ofstream out(argv[3]);
    size_t tokens = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      for (size_t k = 0; k < ids[i].size(); ++k) out << (k ? " " : "") << ids[i][k];
      out << '\t' << to_hex(tokenizer.decode(ids[i])) << '\n';
      tokens += ids[i].size();
    }
    std::cout << "records " << records.size() << " bytes " << bytes << " tokens " << tokens
              << " first_pass_s " << first << " best_pass_s " << best << "\n";
  } catch (const std::exception& e) {
    std::cerr << "grpo_tokenizer_encode: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
