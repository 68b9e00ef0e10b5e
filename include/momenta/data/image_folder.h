// A dataset of image files, one sub-folder per class (root/<class>/<image>), decoded with
// stb_image (PNG, JPEG, BMP, GIF, TGA, PNM) and resized to one fixed size.
//
// Class k is the k-th sub-folder name in byte order, so the labels do not depend on the order the
// file system lists them in. Files whose extension is not an image's are ignored, and so are
// hidden entries (a leading '.'); a class folder with no image is an error, since its label would
// never occur.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"

namespace momenta::data {

struct ImageFolderOptions {
  int64_t height = 32;
  int64_t width = 32;
  int64_t channels = 3;  // 1 (grey, stb's luma) or 3 (RGB); alpha is dropped
  Normalization norm;    // default: scaled to [0, 1] only
  // When not empty, the classes and their order (the training split's, when loading its test
  // split): every sub-folder must be one of them; a class may have no folder.
  std::vector<std::string> classes;
};

struct ImageFolder {
  ImageDataset dataset;  // [channels, height, width] uint8 samples
  std::vector<std::string> class_names;
  std::vector<std::string> files;  // the file of each sample, in sample order
};

// Reads every image below `dir` (class folders may nest images in sub-folders). Throws IOError
// when `dir` or a file cannot be read, FormatError naming the file when an image cannot be decoded
// and naming the folder when a class folder holds no image, `dir` has no class folder or a class
// folder is not one of options.classes, ValueError for bad options.
ImageFolder load_image_folder(const std::string& dir, const ImageFolderOptions& options);

// The train and test splits of `root`: root/train, and root/test (or root/val), loaded with the
// training split's classes. Throws IOError naming root when a split folder is missing.
struct ImageFolderSplits {
  ImageFolder train, test;
};
ImageFolderSplits load_image_folder_splits(const std::string& root, const ImageFolderOptions& options);

// Decodes the image file at `path` into `channels` planes of height x width bytes ([C, H, W]),
// resizing bilinearly when its size differs. Throws IOError (unreadable file) or FormatError
// (undecodable data), both naming the file.
// The header is read first (stbi_info): an image claiming more than 8192 pixels a side is a
// FormatError before anything is decoded, and so is a BMP holding fewer bytes than its header claims.
std::vector<uint8_t> read_image(const std::string& path, int64_t channels, int64_t height, int64_t width);
// The same on an image file held in memory (`path` names it in messages): the entry point for
// fuzzing.
std::vector<uint8_t> decode_image(const uint8_t* data, size_t size, const std::string& path, int64_t channels,
                                  int64_t height, int64_t width);

// Bilinear resize of `channels` planes (src [C, src_h, src_w] -> dst [C, dst_h, dst_w]), pixel
// centres aligned (align_corners = false), edges clamped, rounded to the nearest byte. No
// anti-aliasing: shrinking by more than 2x skips pixels.
void resize_bilinear(const uint8_t* src, int64_t channels, int64_t src_h, int64_t src_w, uint8_t* dst, int64_t dst_h,
                     int64_t dst_w);

}  // namespace momenta::data
