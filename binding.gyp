{
  "targets": [
    {
      "target_name": "bitnet_native",
      "sources": [
        "native/addon.cc",
        "native/cpu.cc",
        "native/pool.cc",
        "native/program.cc",
        "native/rows.cc",
        "native/attention.cc",
        "native/lm_head.cc",
        "native/ternary.cc",
        "native/avx2.cc",
        "native/vnni.cc",
        "native/neon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-O3", "-fexceptions", "-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"]
      }
    }
  ]
}
