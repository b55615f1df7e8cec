#pragma once
/// @file Models by name: a Hugging Face repo id (`HuggingFaceTB/SmolLM2-135M-Instruct`) resolved
/// to its snapshot directory in the local Hugging Face cache, offline, as huggingface_hub's
/// `snapshot_download(..., local_files_only=True)` finds it.

#include <string>
#include <vector>

namespace grpo {

/// The Hugging Face hub cache directory: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$XDG_CACHE_HOME/huggingface/hub`, else `$HOME/.cache/huggingface/hub` (huggingface_hub's
/// order).
std::string hub_cache_dir();

/// The model directory named by `name_or_path`. An existing directory is returned as given (a
/// local path wins over a repo id of the same name), and so is a path that cannot be a repo id
/// (absolute, starting with `.`, or with more than one `/`). Else `name_or_path` is read as a repo id
/// (`org/name` or `name`) and resolved in `cache_dir` (default: hub_cache_dir()) to
/// `<cache>/models--org--name/snapshots/<commit>`, where `<commit>` is the content of
/// `refs/<revision>` when that file exists (a branch or tag; `revision` defaults to `main`), or
/// `revision` itself (a commit hash). Reads the file system only; never downloads.
/// @throws c10::Error naming `name_or_path` and every path tried when a repo id resolves to no
///         directory: no cached repo, or a missing snapshot for the ref or commit.
std::string resolve_model_path(const std::string& name_or_path, const std::string& revision = "",
                               const std::string& cache_dir = "");

}  // namespace grpo
