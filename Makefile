# opcount - count the work, energy and carbon of linear algebra.
#
#   make            build build/libopcount.so and build/opcount
#   make deps       install the Debian packages the build needs
#   make test-deps  ... and those the tests and benchmarks need too
#   make test       every test (installs what is missing first); T=PATTERN: those named so
#   make test-long  NumPy's and SciPy's linalg test suites under the library (minutes)
#   make demo       the main job on an example (installs what is missing first)
#   make bench      benchmarks (measurements, not tests)
#   make fuzz       the fuzz targets (tests/fuzz/), SECONDS=N each (60)
#   make check-sanitize  the tests under ASan+UBSan, the threaded ones under TSan
#   make check-deps say which packages are missing
#   make install PREFIX=/usr/local
#   ASAN=1 / UBSAN=1 / TSAN=1 for sanitizer builds (out of tree: build-asan/ ...,
#                   build-asan-ubsan/ for both)

VERSION  := 0.1.0
PREFIX   ?= /usr/local
PYTHON   ?= python3

BUILD := build
ifeq ($(ASAN),1)
  BUILD := build-asan
  SAN   := -fsanitize=address -fno-omit-frame-pointer
endif
ifeq ($(UBSAN),1)
  BUILD := $(if $(filter 1,$(ASAN)),build-asan-ubsan,build-ubsan)
  SAN   += -fsanitize=undefined -fno-sanitize-recover=all
endif
ifeq ($(TSAN),1)
  BUILD := build-tsan
  SAN   := -fsanitize=thread
endif

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
           -Werror=implicit-function-declaration -Werror=int-conversion
DATADIR ?= $(CURDIR)/data
CPPFLAGS_ALL := -D_GNU_SOURCE -DOPC_VERSION='"$(VERSION)"' -DOPC_DATADIR='"$(DATADIR)"' \
                -Iinclude -Icommon -I$(BUILD)/gen
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN) $(CPPFLAGS_ALL)

GEN := $(BUILD)/gen/routines_gen.h $(BUILD)/gen/routines_gen.c $(BUILD)/gen/wrappers_gen.c
GEN_STAMP := $(BUILD)/gen/stamp

# shared code, compiled twice (-fPIC into the library, plainly into the tool)
COMMON_LIB := common/log.c common/trace_write.c common/routines.c common/cost.c common/datadir.c \
              common/energy.c common/producer.c common/file.c common/job.c
COMMON_CLI := $(COMMON_LIB) common/trace_read.c

LIB_SRCS := preload/shim.c preload/config.c preload/call.c preload/record.c preload/threads.c preload/collector.c \
            preload/layer.c preload/resolve.c preload/inject.c $(sort $(wildcard preload/gpu*.c)) \
            preload/reject.c preload/dnnl.c preload/mpi.c preload/nccl.c preload/gloo.c \
            $(COMMON_LIB)
LIB_OBJS := $(patsubst %.c,$(BUILD)/lib/%.o,$(LIB_SRCS)) \
            $(BUILD)/lib/gen/routines_gen.o $(BUILD)/lib/gen/wrappers_gen.o
LIB_LIBS = $(LIB_PKG_LIBS) -lpthread -lm -ldl

CLI_SRCS := analysis/opcount.c analysis/cmd_record.c analysis/cmd_report.c analysis/profile.c \
            analysis/ranks.c \
            analysis/symbolize.c analysis/attribute.c analysis/cmd_predict.c analysis/arch.c \
            analysis/carbon.c analysis/predict.c analysis/unseen.c $(COMMON_CLI) \
            analysis/cmd_fit.c analysis/fit.c analysis/nnls.c analysis/plot.c analysis/util.c \
            analysis/flame.c analysis/perfetto.c analysis/calibrate.c analysis/picture.c \
            analysis/roofline.c analysis/timeline.c analysis/html.c analysis/steps.c \
            tracer/argdecode.c tracer/ptrace.c tracer/pt_breakpoint.c tracer/pt_module.c \
            tracer/pt_trace.c tracer/pt_stacks.c tracer/pt_inject.c tracer/insn.c \
            tracer/pt_watchdog.c
CLI_OBJS := $(patsubst %.c,$(BUILD)/cli/%.o,$(CLI_SRCS)) $(BUILD)/cli/gen/routines_gen.o
CLI_LIBS = $(CLI_PKG_LIBS) -lm

EXAMPLES := $(BUILD)/examples/mlp $(BUILD)/examples/cnn

.PHONY: all deps test-deps test test-long demo bench install clean examples check-deps gpu-fakes fuzz \
	fuzz-build test-programs check-sanitize
all: $(BUILD)/libopcount.so $(BUILD)/opcount $(EXAMPLES)

# ---- dependencies ----------------------------------------------------------
# Each entry PROBE:PACKAGE names a Debian package and how to tell that it is
# installed: a pkg-config module, or (PROBE starting with /) a file.  The
# build needs only BUILD_DEPS (OpenBLAS for the examples in `all`); the
# tests, the NumPy and PyTorch checks and the benchmarks need TEST_DEPS too.
BUILD_DEPS := /usr/bin/pkg-config:pkg-config \
              /usr/bin/python3:python3 \
              openblas:libopenblas-dev \
              libunwind:libunwind-dev \
              libunwind-ptrace:libunwind-dev \
              libdw:libdw-dev \
              libelf:libelf-dev \
              json-c:libjson-c-dev \
              zlib:zlib1g-dev \
              gsl:libgsl-dev \
              cairo:libcairo2-dev
# the reference BLAS and LAPACK: tests/integration/rejected.sh runs under them too
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
TEST_DEPS := cmocka:libcmocka-dev \
             lapacke:liblapacke-dev \
             /usr/bin/time:time \
             /usr/lib/python3/dist-packages/numpy/__init__.py:python3-numpy \
             /usr/lib/python3/dist-packages/scipy/__init__.py:python3-scipy \
             /usr/lib/python3/dist-packages/pytest/__init__.py:python3-pytest \
             /usr/lib/python3/dist-packages/torch/__init__.py:python3-torch \
             /usr/lib/python3/dist-packages/torchvision/__init__.py:python3-torchvision \
             /usr/bin/ltrace:ltrace \
             /usr/bin/nm:binutils \
             /usr/lib/$(MULTIARCH)/blas/libblas.so.3:libblas3 \
             /usr/lib/$(MULTIARCH)/lapack/liblapack.so.3:liblapack3 \
             /usr/bin/clang:clang \
             /usr/include/dnnl.h:libdnnl-dev \
             /usr/bin/mpirun:openmpi-bin \
             ompi-c:libopenmpi-dev \
             /usr/include/gloo/allreduce.h:libgloo-dev \
             /usr/bin/chromium:chromium \
             /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a:libclang-rt-14-dev

dep_probe = $(word 1,$(subst :, ,$(1)))
dep_have = $(if $(filter /%,$(1)),$(wildcard $(1)),$(shell pkg-config --exists $(1) 2>/dev/null && echo y))
deps_missing = $(sort $(foreach d,$(1),$(if $(call dep_have,$(call dep_probe,$(d))),,$(word 2,$(subst :, ,$(d))))))
# Asked only when a recipe needs them (so `make clean` or `make deps` on a
# bare machine runs no pkg-config), then remembered for the rest of the run.
MISSING_BUILD = $(eval MISSING_BUILD := $$(call deps_missing,$(BUILD_DEPS)))$(MISSING_BUILD)
MISSING_TEST = $(eval MISSING_TEST := $$(call deps_missing,$(BUILD_DEPS) $(TEST_DEPS)))$(MISSING_TEST)

# $(call pkg,--cflags|--libs,MODULES): pkg-config's answer, or a stop that
# names the Debian packages to install.  Expanded in recipes only: the stop
# comes before the first compiler runs, and never on an up-to-date tree.
pkg = $(call pkg_or_stop,$(shell pkg-config $(1) $(2) 2>/dev/null || echo '?failed'),$(2))
pkg_or_stop = $(if $(filter ?failed,$(1)),$(error opcount: pkg-config cannot find $(2)$(call \
	pkg_hint,$(BUILD_DEPS),$(2),deps)$(call pkg_hint,$(TEST_DEPS),$(2),test-deps)),$(1))
# $(call pkg_hint,DEPS,MODULES,TARGET): the packages of DEPS behind MODULES
# (and pkg-config itself) that are missing, and the make target installing them
pkg_hint = $(if $(call deps_missing,$(filter /usr/bin/pkg-config:% $(addsuffix :%,$(2)),$(1))),; \
	missing Debian packages: $(call deps_missing,$(filter /usr/bin/pkg-config:% \
	$(addsuffix :%,$(2)),$(1))) (run: make $(3)))
# the same stop for the build's programs (pkg-config, python3)
need_build_deps = $(if $(MISSING_BUILD),$(error opcount: missing Debian packages: $(MISSING_BUILD) (run: make deps)))

LIB_PKGS  := libunwind zlib
CLI_PKGS  := libdw libelf json-c zlib gsl cairo libunwind-ptrace
BLAS_PKGS := openblas
TEST_PKGS := cmocka
# each asked once per run, the first time a recipe reads it
LIB_PKG_CFLAGS = $(eval LIB_PKG_CFLAGS := $$(call pkg,--cflags,$(LIB_PKGS)))$(LIB_PKG_CFLAGS)
LIB_PKG_LIBS = $(eval LIB_PKG_LIBS := $$(call pkg,--libs,$(LIB_PKGS)))$(LIB_PKG_LIBS)
CLI_PKG_CFLAGS = $(eval CLI_PKG_CFLAGS := $$(call pkg,--cflags,$(CLI_PKGS)))$(CLI_PKG_CFLAGS)
CLI_PKG_LIBS = $(eval CLI_PKG_LIBS := $$(call pkg,--libs,$(CLI_PKGS)))$(CLI_PKG_LIBS)
BLAS_CFLAGS = $(eval BLAS_CFLAGS := $$(call pkg,--cflags,$(BLAS_PKGS)))$(BLAS_CFLAGS)
BLAS_LIBS = $(eval BLAS_LIBS := $$(call pkg,--libs,$(BLAS_PKGS)))$(BLAS_LIBS)

# apt-get install the packages named in $(1), as root or through sudo
define apt_install
	@missing="$(strip $(1))"; \
	if [ -n "$$missing" ]; then \
		echo "opcount: installing Debian packages: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		|| { echo "opcount: apt-get install failed" >&2; exit 1; }; \
	else echo "opcount: all Debian packages present"; fi
endef

deps:
	$(call apt_install,$(MISSING_BUILD))

test-deps:
	$(call apt_install,$(MISSING_TEST))

check-deps:
	@echo "missing for the build: $(or $(MISSING_BUILD),none)"
	@echo "missing for the tests: $(or $(filter-out $(MISSING_BUILD),$(MISSING_TEST)),none)"
	@[ -z "$(strip $(MISSING_BUILD))" ] || { echo "run: make deps" >&2; exit 1; }

# ---- generated code --------------------------------------------------------
# genwrap.py rewrites a file only when its text changes, and the stamp
# records that it ran: touching the table reruns the generator once and
# recompiles only what includes a file that changed (the .d files name the
# generated header; objects wait for it order-only).  A generated file that
# went missing makes the generator run again.
$(GEN_STAMP): common/routines.tbl tools/genwrap.py $(if $(filter-out $(wildcard $(GEN)),$(GEN)),FORCE)
	$(need_build_deps)@mkdir -p $(BUILD)/gen
	$(PYTHON) tools/genwrap.py common/routines.tbl $(BUILD)/gen
	@touch $@
$(GEN): $(GEN_STAMP) ;
FORCE:

# ---- the preload library ---------------------------------------------------
LIB_CFLAGS = $(ALL_CFLAGS) $(LIB_PKG_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -Ipreload

$(BUILD)/lib/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

# Gloo throws C++ exceptions through its wrappers: their cleanups must run
$(BUILD)/lib/preload/gloo.o: LIB_CFLAGS += -fexceptions

$(BUILD)/lib/gen/%.o: $(BUILD)/gen/%.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libopcount.so: $(LIB_OBJS)
	$(CC) $(SAN) -shared -Wl,--no-undefined -Wl,-z,nodelete -o $@ $^ $(LIB_LIBS)

# ---- the command-line tool -------------------------------------------------
CLI_CFLAGS = $(ALL_CFLAGS) $(CLI_PKG_CFLAGS) -Ianalysis -Itracer

# the HTML pages' CSS and JavaScript, written as files, compiled into html.c
HTML_ASSETS := analysis/html/style.css analysis/html/common.js analysis/html/report.js \
               analysis/html/fit.js
$(BUILD)/gen/html_assets.h: $(HTML_ASSETS) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ $(HTML_ASSETS)
$(BUILD)/cli/analysis/html.o: $(BUILD)/gen/html_assets.h

$(BUILD)/cli/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/cli/gen/%.o: $(BUILD)/gen/%.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/opcount: $(CLI_OBJS)
	$(CC) $(SAN) -o $@ $^ $(CLI_LIBS)

# ---- examples (plain programs: they do not link opcount) -------------------
$(BUILD)/examples/%: examples/%.c examples/common.h include/opcount.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra $(BLAS_CFLAGS) -Iinclude $< -o $@ $(BLAS_LIBS) -lm

examples: $(EXAMPLES)

# ---- tests, demo, bench ----------------------------------------------------
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(filter-out tests/progs/mpi_%.c, \
              $(wildcard tests/progs/*.c)))

# Each unit test links the objects of the module it tests and what those
# need, nothing else: TEST_<name>_OBJS for tests/unit/test_<name>.c (empty
# for a header-only module; a test without one stops the build).
cli_objs = $(patsubst %.c,$(BUILD)/cli/%.o,$(1))
# the routine table (names, interfaces, cost functions)
TABLE_OBJS := $(call cli_objs,common/routines.c common/cost.c) $(BUILD)/cli/gen/routines_gen.o
# the trace format, writer and reader
TRACE_OBJS := $(call cli_objs,common/trace_write.c common/trace_read.c common/log.c common/file.c) \
              $(TABLE_OBJS)

TEST_attribute_OBJS := $(call cli_objs,analysis/attribute.c analysis/profile.c analysis/symbolize.c \
                         analysis/util.c analysis/ranks.c) $(TRACE_OBJS)
TEST_argdecode_OBJS := $(call cli_objs,tracer/argdecode.c) $(TABLE_OBJS)
TEST_cost_OBJS      := $(TABLE_OBJS)
TEST_energy_OBJS    := $(call cli_objs,common/energy.c common/producer.c common/job.c common/datadir.c common/log.c \
                         common/trace_write.c common/file.c) $(TABLE_OBJS)
TEST_fit_OBJS       := $(call cli_objs,analysis/fit.c analysis/nnls.c analysis/plot.c \
                         analysis/picture.c analysis/util.c analysis/ranks.c) $(TRACE_OBJS)
TEST_insn_OBJS      := $(call cli_objs,tracer/insn.c)
TEST_picture_OBJS   := $(call cli_objs,analysis/picture.c)
TEST_hashtab_OBJS   :=
TEST_producer_OBJS  := $(call cli_objs,common/producer.c common/job.c) $(TRACE_OBJS)
TEST_predict_OBJS   := $(call cli_objs,analysis/predict.c analysis/arch.c analysis/carbon.c \
                         analysis/util.c analysis/profile.c analysis/attribute.c \
                         analysis/symbolize.c analysis/ranks.c analysis/steps.c \
                         common/datadir.c) $(TRACE_OBJS)
TEST_trace_OBJS     := $(TRACE_OBJS)
TEST_trace_edges_OBJS := $(TRACE_OBJS)

TEST_PKG_CFLAGS = $(eval TEST_PKG_CFLAGS := $$(call pkg,--cflags,$(TEST_PKGS)))$(TEST_PKG_CFLAGS)
TEST_PKG_LIBS = $(eval TEST_PKG_LIBS := $$(call pkg,--libs,$(TEST_PKGS)))$(TEST_PKG_LIBS)
LAPACKE_LIBS = $(eval LAPACKE_LIBS := $$(call pkg,--libs,lapacke))$(LAPACKE_LIBS)

# (second expansion: TEST_<name>_OBJS may be defined anywhere in the file)
.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $$(TEST_$$*_OBJS)
	$(if $(filter undefined,$(origin TEST_$*_OBJS)),$(error \
		$<: the Makefile does not say which objects it links (TEST_$*_OBJS)))@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $(TEST_PKG_CFLAGS) -MMD -MP $< $(TEST_$*_OBJS) -o $@ \
		-Wl,--as-needed $(TEST_PKG_LIBS) $(CLI_LIBS)

$(BUILD)/tests/progs/%: tests/progs/%.c include/opcount.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $(BLAS_CFLAGS) -Iinclude $< -o $@ $(BLAS_LIBS) $(LAPACKE_LIBS) -lpthread -lm

# binds its BLAS with dlopen(RTLD_LOCAL) + dlsym: linked with none
$(BUILD)/tests/progs/dlopen_local: tests/progs/dlopen_local.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $< -o $@ -ldl

# with its own oneDNN, libdnnl_fake.so: the functions the library binds to
$(BUILD)/tests/progs/dnnl_fake: tests/progs/dnnl_fake.c $(BUILD)/tests/progs/libdnnl_fake.so
	$(CC) -O2 -g -Wall $< -o $@ -L$(BUILD)/tests/progs -Wl,-rpath,'$$ORIGIN' -ldnnl_fake

$(BUILD)/tests/progs/libdnnl_fake.so: tests/progs/dnnl_fake.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -shared -fPIC -DDNNL_FAKE_LIB $< -o $@

# with its own MPI of the MPICH ABI, libmpich_fake.so (tests/integration/mpi_abi.sh)
$(BUILD)/tests/progs/mpich_fake: tests/progs/mpich_fake.c $(BUILD)/tests/progs/libmpich_fake.so
	$(CC) -O2 -g -Wall $< -o $@ -L$(BUILD)/tests/progs -Wl,-rpath,'$$ORIGIN' -lmpich_fake

$(BUILD)/tests/progs/libmpich_fake.so: tests/progs/mpich_fake.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -shared -fPIC -DMPICH_FAKE_LIB $< -o $@

$(BUILD)/tests/progs/%-static: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -static $(BLAS_CFLAGS) -Iinclude $< -o $@ $(filter -L%,$(BLAS_LIBS)) \
		-llapacke -lopenblas -lgfortran -lquadmath -lpthread -lm

# MPI programs (tests/integration/mpi_comm.sh, bench/mpi.sh): built with
# mpicc where it is (openmpi-bin and libopenmpi-dev, in TEST_DEPS); the
# test and the benchmark skip without it.
MPICC ?= mpicc
MPI_PROGS := $(if $(shell command -v $(MPICC) 2>/dev/null),$(patsubst tests/progs/%.c, \
             $(BUILD)/tests/progs/%,$(wildcard tests/progs/mpi_*.c)))
$(BUILD)/tests/progs/mpi_%: tests/progs/mpi_%.c include/opcount.h
	@mkdir -p $(dir $@)
	$(MPICC) -O2 -g -Wall $(BLAS_CFLAGS) -Iinclude $< -o $@ $(BLAS_LIBS) -ldl -lm

# oneDNN programs (tests/integration/dnnl_ops.sh): built only where oneDNN's
# headers are (libdnnl-dev, in TEST_DEPS); the test skips without them.
# dnnl_abi compares preload/dnnl_abi.h with the real header.
DNNL_PROGS := $(if $(wildcard /usr/include/dnnl.h),$(patsubst tests/dnnl/%.c,$(BUILD)/tests/dnnl/%, \
              $(wildcard tests/dnnl/*.c)))
$(BUILD)/tests/dnnl/%: tests/dnnl/%.c preload/dnnl_abi.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Ipreload $< -o $@ -ldnnl

# ---- the wrapper test (tests/integration/wrappers.sh) ----------------------
# A BLAS/LAPACK/LAPACKE whose every entry point does nothing, and a program
# calling each entry point of the routine table with chosen shapes and flags
# (tests/wrappers/gen_calls.py): what the wrappers record is compared with
# tests/wrappers/model.py.
WRAP := $(BUILD)/tests/wrappers
$(WRAP)/calls.c $(WRAP)/fakeblas.c $(WRAP)/calls.json &: common/routines.tbl tests/wrappers/gen_calls.py
	@mkdir -p $(WRAP)
	$(PYTHON) tests/wrappers/gen_calls.py common/routines.tbl $(WRAP)
$(WRAP)/libfakeblas.so: $(WRAP)/fakeblas.c
	$(CC) -O0 -shared -fPIC -Wl,-soname,libfakeblas.so -o $@ $<
$(WRAP)/calls: $(WRAP)/calls.c $(WRAP)/libfakeblas.so
	$(CC) -O0 -g -o $@ $< -L$(WRAP) -lfakeblas -Wl,-rpath,'$$ORIGIN'

# ---- a simulated GPU for the GPU tests (no GPU or driver needed) ------------
# Fake CUDA runtime, cuBLAS, cublasLt and cuDNN with the real sonames,
# built from tests/fake/ against the CUDA toolkit's headers where they are
# installed; the GPU test programs in tests/gpu/ link against them.  See
# tests/fake/cudart.c for the simulated device.
CUDA_HOME ?= /usr/local/cuda
# all or nothing: the fakes and programs need every one of these headers
CUDA_HDRS := cuda_runtime_api.h cublas_api.h cublasLt.h cudnn.h cudnn_graph.h nvtx3/nvToolsExt.h
CUDA_INC  := $(if $(strip $(foreach h,$(CUDA_HDRS),$(if $(wildcard $(CUDA_HOME)/include/$(h)),,$(h)))),,yes)
FAKE      := $(BUILD)/fake
FAKE_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -fPIC -shared -I$(CUDA_HOME)/include -Wl,-rpath,'$$ORIGIN'
FAKE_LIBS := $(FAKE)/libcudart.so.13 $(FAKE)/libcublas.so.13 $(FAKE)/libcublasLt.so.13 \
             $(FAKE)/libcudnn.so.9 $(FAKE)/libnvidia-ml.so.1
GPU_PROGS := $(patsubst tests/gpu/%.c,$(BUILD)/tests/gpu/%,$(filter-out tests/gpu/nccl_%.c, \
             $(wildcard tests/gpu/*.c)))
# the fake NCCL and its programs, where the toolkit has nccl.h
NCCL_INC  := $(wildcard $(CUDA_HOME)/include/nccl.h)
NCCL_PROGS := $(if $(NCCL_INC),$(FAKE)/libnccl.so.2 $(patsubst tests/gpu/%.c,$(BUILD)/tests/gpu/%, \
              $(wildcard tests/gpu/nccl_*.c)))

$(FAKE)/libcudart.so.13: $(wildcard tests/fake/cudart*.c) tests/fake/fakegpu.h
	@mkdir -p $(dir $@)
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libcudart.so.13 -o $@ $(filter %.c,$^) -lpthread
	ln -sf libcudart.so.13 $(FAKE)/libcudart.so
$(FAKE)/libcublasLt.so.13: $(wildcard tests/fake/cublaslt*.c) tests/fake/fakegpu.h $(FAKE)/libcudart.so.13
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libcublasLt.so.13 -o $@ $(filter %.c,$^) -L$(FAKE) -lcudart
	ln -sf libcublasLt.so.13 $(FAKE)/libcublasLt.so
$(FAKE)/libcublas.so.13: $(wildcard tests/fake/cublas.c tests/fake/cublas_*.c) tests/fake/fakegpu.h $(FAKE)/libcudart.so.13 $(FAKE)/libcublasLt.so.13
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libcublas.so.13 -o $@ $(filter %.c,$^) -L$(FAKE) -lcudart -lcublasLt
	ln -sf libcublas.so.13 $(FAKE)/libcublas.so
$(FAKE)/libcudnn.so.9: $(wildcard tests/fake/cudnn*.c) tests/fake/fakegpu.h $(FAKE)/libcudart.so.13
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libcudnn.so.9 -o $@ $(filter %.c,$^) -L$(FAKE) -lcudart
	ln -sf libcudnn.so.9 $(FAKE)/libcudnn.so

$(FAKE)/libnccl.so.2: tests/fake/nccl.c tests/fake/fakegpu.h $(FAKE)/libcudart.so.13
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libnccl.so.2 -o $@ $(filter %.c,$^) -L$(FAKE) -lcudart
	ln -sf libnccl.so.2 $(FAKE)/libnccl.so

$(BUILD)/tests/gpu/nccl_%: tests/gpu/nccl_%.c $(FAKE)/libnccl.so.2 $(FAKE)/libcudart.so.13
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -MMD -MP -I$(CUDA_HOME)/include $< -o $@ -L$(FAKE) \
		-Wl,-rpath,$(abspath $(FAKE)) -lnccl -lcudart

$(FAKE)/libnvidia-ml.so.1: tests/fake/nvml.c
	@mkdir -p $(dir $@)
	$(CC) $(FAKE_CFLAGS) -fvisibility=hidden -Wl,-soname,libnvidia-ml.so.1 -o $@ $< -lpthread

$(BUILD)/tests/gpu/%: tests/gpu/%.c $(FAKE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -MMD -MP -I$(CUDA_HOME)/include -Iinclude $< -o $@ -L$(FAKE) \
		-Wl,-rpath,$(abspath $(FAKE)) -lcudnn -lcublas -lcublasLt -lcudart -lpthread -lm

ifneq ($(CUDA_INC),)
GPU_TEST_DEPS := $(FAKE_LIBS) $(GPU_PROGS) $(NCCL_PROGS)
endif
gpu-fakes: $(GPU_TEST_DEPS)

# what the tests run, in $(BUILD) (make test, make check-sanitize)
test-programs: all $(UNIT_TESTS) $(TEST_PROGS) $(DNNL_PROGS) $(MPI_PROGS) $(BUILD)/tests/progs/blas_calls-static \
	$(WRAP)/calls $(GPU_TEST_DEPS) $(BUILD)/bench/gentrace

test: test-deps
	@$(MAKE) --no-print-directory test-programs $(if $(FUZZ_OK),$(FUZZ_TARGETS))
	@BUILD=$(BUILD) FUZZ=$(FUZZ) sh tests/run.sh $(if $(T),"$(T)")

# tests/long/: whole test suites of other projects under the library
test-long: test-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) LONG=1 sh tests/run.sh $(if $(T),"$(T)")

# The tests under the sanitizers (tests/sanitize.sh): every one on an
# ASan+UBSan build, the threaded ones on a TSan build, each build out of
# tree with its own test programs.  Not part of make test: it takes longer.
check-sanitize: test-deps
	@$(MAKE) --no-print-directory ASAN=1 UBSAN=1 test-programs
	@$(MAKE) --no-print-directory TSAN=1 test-programs
	@$(if $(FUZZ_OK),$(MAKE) --no-print-directory $(FUZZ_TARGETS))
	@ASAN_BUILD=build-asan-ubsan TSAN_BUILD=build-tsan FUZZ=$(FUZZ) CC=$(CC) sh tests/sanitize.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh examples/demo.sh

bench: test-deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/ddot_loop $(BUILD)/bench/shapes_loop \
		$(BUILD)/bench/idle_loop $(BUILD)/bench/wakeups $(BUILD)/bench/gentrace \
		$(BUILD)/bench/spawn $(BUILD)/tests/progs/fake_rapl
	@BUILD=$(BUILD) sh bench/run.sh
	@$(if $(wildcard /usr/include/dnnl.h),$(MAKE) --no-print-directory $(BUILD)/bench/dnnl_loop)
	@BUILD=$(BUILD) sh bench/dnnl.sh
	@$(if $(shell command -v $(MPICC) 2>/dev/null),$(MAKE) --no-print-directory $(BUILD)/bench/mpi_loop)
	@BUILD=$(BUILD) sh bench/mpi.sh
	@BUILD=$(BUILD) sh bench/torch_models.sh
	@BUILD=$(BUILD) sh bench/load.sh
	@BUILD=$(BUILD) sh bench/report.sh
	@BUILD=$(BUILD) sh bench/pictures.sh
	@BUILD=$(BUILD) sh bench/pages.sh
	@BUILD=$(BUILD) sh bench/sampling.sh
	@BUILD=$(BUILD) sh bench/ptrace.sh
	@if [ -n "$(CUDA_INC)" ]; then $(MAKE) --no-print-directory $(BUILD)/bench/gpu_overhead; fi
	@BUILD=$(BUILD) sh bench/gpu.sh

# the cheapest MPI calls in a loop (bench/mpi.sh), with mpicc
$(BUILD)/bench/mpi_loop: bench/mpi_loop.c
	@mkdir -p $(dir $@)
	$(MPICC) -O2 -g -Wall $< -o $@

# a tiny oneDNN primitive in a loop (bench/dnnl.sh)
$(BUILD)/bench/dnnl_loop: bench/dnnl_loop.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $< -o $@ -ldnnl

$(BUILD)/bench/gpu_overhead: bench/gpu_overhead.c $(FAKE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -I$(CUDA_HOME)/include $< -o $@ -L$(FAKE) -Wl,-rpath,$(abspath $(FAKE)) \
		-lcublas -lcublasLt -lcudart -lm

# synthetic traces written with the trace writer (bench/report.sh, and the
# tests of what report does with large and hostile traces)
$(BUILD)/bench/gentrace: bench/gentrace.c $(TRACE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP $< $(TRACE_OBJS) -o $@ $(CLI_LIBS)

$(BUILD)/bench/spawn: bench/spawn.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $< -o $@

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $(BLAS_CFLAGS) $< -o $@ $(BLAS_LIBS)

# ---- fuzz targets (tests/fuzz/, libFuzzer) ---------------------------------
# The trace reader and the architecture/coefficient readers under libFuzzer
# with ASan+UBSan, built out of tree with clang from objects of their own.
# `make fuzz SECONDS=N` runs each N seconds from the seed corpus in
# tests/fuzz/corpus/ (what it finds goes to $(FUZZ)/corpus/, crashes to
# $(FUZZ)/); `make test` runs each briefly (tests/integration/fuzz.sh).
FUZZ    := build-fuzz
FUZZ_CC ?= clang
SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -D_GNU_SOURCE \
              -DOPC_VERSION='"$(VERSION)"' -DOPC_DATADIR='"$(DATADIR)"' \
              -Iinclude -Icommon -I$(FUZZ)/gen -Ianalysis -Itracer $(CLI_PKG_CFLAGS)
# does clang link a libFuzzer program here?  (asked only by recipes)
FUZZ_OK = $(eval FUZZ_OK := $$(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	$(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null && echo y))$(FUZZ_OK)
fuzz_objs = $(patsubst %.c,$(FUZZ)/obj/%.o,$(1))
FUZZ_TRACE_OBJS := $(call fuzz_objs,common/trace_read.c common/trace_write.c common/log.c common/file.c \
                     common/routines.c common/cost.c analysis/profile.c analysis/attribute.c \
                     analysis/symbolize.c analysis/util.c analysis/ranks.c) $(FUZZ)/obj/gen/routines_gen.o
FUZZ_arch_OBJS  := $(call fuzz_objs,analysis/arch.c analysis/predict.c analysis/steps.c analysis/carbon.c \
                     common/datadir.c) $(FUZZ_TRACE_OBJS)
FUZZ_trace_OBJS := $(FUZZ_TRACE_OBJS)
FUZZ_TARGETS := $(FUZZ)/fuzz_trace $(FUZZ)/fuzz_arch
# (named through a second expansion, they would be deleted as intermediates)
.SECONDARY: $(FUZZ_arch_OBJS)

$(FUZZ)/gen/stamp: common/routines.tbl tools/genwrap.py
	@mkdir -p $(FUZZ)/gen
	$(PYTHON) tools/genwrap.py common/routines.tbl $(FUZZ)/gen
	@touch $@
$(FUZZ)/gen/routines_gen.c: $(FUZZ)/gen/stamp ;

$(FUZZ)/obj/%.o: %.c | $(FUZZ)/gen/stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ)/obj/gen/%.o: $(FUZZ)/gen/%.c | $(FUZZ)/gen/stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_$$*_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP $< $(FUZZ_$*_OBJS) -o $@ $(CLI_LIBS)

fuzz-build: test-deps
	@$(if $(FUZZ_OK),,echo "opcount: $(FUZZ_CC) cannot link a libFuzzer program (make test-deps installs clang and libclang-rt-14-dev)" >&2; exit 1)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)

fuzz: fuzz-build
	@for t in $(notdir $(FUZZ_TARGETS)); do \
		c=$${t#fuzz_}; mkdir -p $(FUZZ)/corpus/$$c; \
		echo "opcount: $$t for $(SECONDS) s"; \
		$(FUZZ)/$$t -max_total_time=$(SECONDS) -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ)/$$t- $(FUZZ)/corpus/$$c tests/fuzz/corpus/$$c || exit 1; \
	done

# The binaries find the data in ../share/opcount (common/datadir.c).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/opcount/python $(DESTDIR)$(PREFIX)/share/doc/opcount/docs
	install -m 755 $(BUILD)/opcount $(DESTDIR)$(PREFIX)/bin/opcount
	install -m 755 $(BUILD)/libopcount.so $(DESTDIR)$(PREFIX)/lib/libopcount.so
	install -m 644 include/opcount.h $(DESTDIR)$(PREFIX)/include/opcount.h
	install -m 644 data/*.csv data/README.md $(DESTDIR)$(PREFIX)/share/opcount/
	install -m 644 python/opcount_torch.py $(DESTDIR)$(PREFIX)/share/opcount/python/
	install -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/opcount/
	install -m 644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/opcount/docs/

clean:
	rm -rf build build-asan build-ubsan build-asan-ubsan build-tsan build-fuzz

-include $(shell find $(BUILD) $(wildcard $(FUZZ)) -name '*.d' 2>/dev/null)
