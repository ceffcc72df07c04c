from models.build_flags import cmake_args, cpu_flags


def test_x86_build_enables_what_the_cpu_lists_and_never_amx(monkeypatch):
    args = cmake_args({"avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "amx_tile"}, machine="x86_64").split()
    assert "-DGGML_NATIVE=OFF" in args
    assert "-DGGML_AVX2=ON" in args and "-DGGML_AVX512=ON" in args and "-DGGML_AVX512_VNNI=ON" in args
    assert "-DGGML_AVX512_BF16=OFF" in args  # not listed by this CPU
    assert "-DGGML_AMX_TILE=OFF" in args and "-DGGML_AMX_INT8=OFF" in args


def test_laptop_without_avx512_gets_no_avx512():
    args = cmake_args({"avx", "avx2", "fma", "f16c"}, machine="x86_64").split()
    assert "-DGGML_AVX512=OFF" in args and "-DGGML_AVX2=ON" in args


def test_arm_keeps_llama_cpp_defaults():
    assert "GGML_AVX" not in cmake_args(set(), machine="arm64")


def test_override_wins(monkeypatch):
    monkeypatch.setenv("COACH_CMAKE_ARGS", "-DGGML_NATIVE=ON")
    assert cmake_args({"avx"}, machine="x86_64") == "-DGGML_NATIVE=ON"


def test_cpu_flags_reads_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx avx2\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(info) == {"fpu", "avx", "avx2"}
    assert cpu_flags(tmp_path / "absent") == set()
