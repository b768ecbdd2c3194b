# SPDX-License-Identifier: Apache-2.0
# Homebrew formula for coreml-lint, built from the release source tarball
# that CPack makes (cpack --config build/CPackSourceConfig.cmake; it carries
# the commit in COMMIT). packaging/update-formula.sh TARBALL URL writes the
# url and sha256 below for a release. The repository is its own tap:
#   brew tap coreml-lint/coreml-lint https://github.com/coreml-lint/coreml-lint
#   brew install coreml-lint/coreml-lint/coreml-lint
class CoremlLint < Formula
  desc "Static analyzer for Apple Core ML models"
  homepage "https://github.com/coreml-lint/coreml-lint"
  url "https://github.com/coreml-lint/coreml-lint/releases/download/v0.1.0/coreml-lint-0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "Apache-2.0"
  head "https://github.com/coreml-lint/coreml-lint.git", branch: "main"

  depends_on "cmake" => :build
  depends_on "pkgconf" => :build
  depends_on "cjson"
  depends_on "lua@5.4"
  depends_on "protobuf-c"

  def install
    # lua@5.4 is keg-only: its pkg-config file is not linked into the prefix
    ENV.prepend_path "PKG_CONFIG_PATH", Formula["lua@5.4"].opt_lib/"pkgconfig"
    system "cmake", "-S", ".", "-B", "build", "-DCML_BUILD_TESTS=OFF", *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
  end

  test do
    assert_match "coreml-lint #{version}", shell_output("#{bin}/coreml-lint --version")
    # every bundled rule and plugin is found in the installed prefix
    rules = shell_output("#{bin}/coreml-lint rules --no-config")
    assert_match "meta/missing-metadata", rules
    assert_match "ane/fp32-program", rules
    (testpath/"empty.mlmodel").write ""
    output = shell_output("#{bin}/coreml-lint check --no-config #{testpath}/empty.mlmodel", 1)
    assert_match "load/protobuf-corrupt", output
  end
end
