# opcount - count the work, energy and carbon of linear algebra.
#
#   make            build build/libopcount.so and build/opcount
#   make deps       install the Debian packages the build and tests need
#   make test       every test (installs what is missing first)
#   make demo       the main job on an example
#   make bench      benchmarks (measurements, not tests)
#   make install PREFIX=/usr/local
#   ASAN=1 / UBSAN=1 / TSAN=1 for sanitizer builds (out of tree: build-asan/ ...)

VERSION  := 0.1.0
PREFIX   ?= /usr/local
PYTHON   ?= python3

BUILD := build
ifeq ($(ASAN),1)
  BUILD := build-asan
  SAN   := -fsanitize=address -fno-omit-frame-pointer
endif
ifeq ($(UBSAN),1)
  BUILD := build-ubsan
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
                -Iinclude -Icommon -Itracer -I$(BUILD)/gen
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN) $(CPPFLAGS_ALL)

GEN := $(BUILD)/gen/routines_gen.h $(BUILD)/gen/routines_gen.c $(BUILD)/gen/wrappers_gen.c

# shared code, compiled twice (-fPIC into the library, plainly into the tool)
COMMON_LIB := common/log.c common/trace_write.c common/routines.c common/cost.c common/datadir.c
COMMON_CLI := $(COMMON_LIB) common/trace_read.c

LIB_SRCS := preload/shim.c preload/config.c preload/record.c preload/threads.c preload/collector.c preload/layer.c \
            preload/resolve.c preload/inject.c $(sort $(wildcard preload/gpu*.c)) tracer/energy.c $(COMMON_LIB)
LIB_OBJS := $(patsubst %.c,$(BUILD)/lib/%.o,$(LIB_SRCS)) \
            $(BUILD)/lib/gen/routines_gen.o $(BUILD)/lib/gen/wrappers_gen.o
LIB_LIBS := -lunwind -lz -lpthread -lm -ldl

CLI_SRCS := analysis/opcount.c analysis/cmd_record.c analysis/cmd_report.c analysis/profile.c \
            analysis/symbolize.c analysis/attribute.c analysis/cmd_predict.c analysis/arch.c \
            analysis/carbon.c analysis/predict.c tracer/energy.c $(COMMON_CLI) \
            analysis/cmd_fit.c analysis/fit.c analysis/nnls.c analysis/plot.c analysis/util.c \
            tracer/argdecode.c tracer/ptrace.c tracer/pt_breakpoint.c tracer/pt_module.c \
            tracer/pt_trace.c tracer/pt_stacks.c tracer/pt_inject.c tracer/insn.c
CLI_OBJS := $(patsubst %.c,$(BUILD)/cli/%.o,$(CLI_SRCS)) $(BUILD)/cli/gen/routines_gen.o
CLI_LIBS := -ldw -lelf -ljson-c -lz -lgsl -lgslcblas -lcairo -lunwind-ptrace -lunwind-generic -lm

EXAMPLES := $(BUILD)/examples/mlp $(BUILD)/examples/cnn

.PHONY: all deps test demo bench install clean examples check-deps gpu-fakes
all: check-deps $(BUILD)/libopcount.so $(BUILD)/opcount $(EXAMPLES)

# ---- dependencies ----------------------------------------------------------
# Each pair: a file that proves the package is installed, and the package.
DEPS := /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h:libopenblas-dev \
        /usr/include/lapacke.h:liblapacke-dev \
        /usr/include/cmocka.h:libcmocka-dev \
        /usr/include/x86_64-linux-gnu/libunwind.h:libunwind-dev \
        /usr/include/elfutils/libdwfl.h:libdw-dev \
        /usr/include/libelf.h:libelf-dev \
        /usr/include/json-c/json.h:libjson-c-dev \
        /usr/include/zlib.h:zlib1g-dev \
        /usr/include/gsl/gsl_multifit.h:libgsl-dev \
        /usr/include/cairo/cairo.h:libcairo2-dev \
        /usr/bin/time:time \
        /usr/lib/python3/dist-packages/numpy/__init__.py:python3-numpy \
        /usr/lib/python3/dist-packages/torch/__init__.py:python3-torch \
        /usr/bin/pkg-config:pkg-config \
        /usr/bin/ltrace:ltrace
MISSING = $(foreach d,$(DEPS),$(if $(wildcard $(word 1,$(subst :, ,$(d)))),,$(word 2,$(subst :, ,$(d)))))

deps:
	@missing="$(strip $(MISSING))"; \
	if [ -n "$$missing" ]; then \
		echo "opcount: installing Debian packages: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		|| { echo "opcount: apt-get install failed" >&2; exit 1; }; \
	else echo "opcount: all Debian packages present"; fi

check-deps:
	@missing="$(strip $(MISSING))"; \
	if [ -n "$$missing" ]; then \
		echo "opcount: missing Debian packages: $$missing (run: make deps)" >&2; exit 1; fi

# ---- generated code --------------------------------------------------------
$(BUILD)/gen/routines_gen.h $(BUILD)/gen/routines_gen.c $(BUILD)/gen/wrappers_gen.c &: \
		common/routines.tbl tools/genwrap.py
	@mkdir -p $(BUILD)/gen
	$(PYTHON) tools/genwrap.py common/routines.tbl $(BUILD)/gen

# ---- the preload library ---------------------------------------------------
$(BUILD)/lib/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -MMD -MP -Ipreload -c $< -o $@

$(BUILD)/lib/gen/%.o: $(BUILD)/gen/%.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -MMD -MP -Ipreload -c $< -o $@

$(BUILD)/libopcount.so: $(LIB_OBJS)
	$(CC) $(SAN) -shared -Wl,--no-undefined -Wl,-z,nodelete -o $@ $^ $(LIB_LIBS)

# ---- the command-line tool -------------------------------------------------
$(BUILD)/cli/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -Ianalysis -c $< -o $@

$(BUILD)/cli/gen/%.o: $(BUILD)/gen/%.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/opcount: $(CLI_OBJS)
	$(CC) $(SAN) -o $@ $^ $(CLI_LIBS)

# ---- examples (plain programs: they do not link opcount) -------------------
OPENBLAS_CFLAGS := -I/usr/include/x86_64-linux-gnu/openblas-pthread
$(BUILD)/examples/%: examples/%.c examples/common.h include/opcount.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra $(OPENBLAS_CFLAGS) -Iinclude $< -o $@ -lopenblas -lm

examples: $(EXAMPLES)

# ---- tests, demo, bench ----------------------------------------------------
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(wildcard tests/progs/*.c))

$(BUILD)/tests/test_%: tests/unit/test_%.c $(filter-out $(BUILD)/cli/analysis/opcount.o,$(CLI_OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalysis $^ -o $@ -lcmocka $(CLI_LIBS)

$(BUILD)/tests/progs/%: tests/progs/%.c include/opcount.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $(OPENBLAS_CFLAGS) -Iinclude $< -o $@ -lopenblas -llapacke -lpthread -lm

# binds its BLAS with dlopen(RTLD_LOCAL) + dlsym: linked with none
$(BUILD)/tests/progs/dlopen_local: tests/progs/dlopen_local.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $< -o $@ -ldl

$(BUILD)/tests/progs/%-static: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -static $(OPENBLAS_CFLAGS) -Iinclude $< -o $@ -llapacke -lopenblas -lgfortran -lquadmath -lpthread -lm

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
GPU_PROGS := $(patsubst tests/gpu/%.c,$(BUILD)/tests/gpu/%,$(wildcard tests/gpu/*.c))

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

$(FAKE)/libnvidia-ml.so.1: tests/fake/nvml.c
	@mkdir -p $(dir $@)
	$(CC) $(FAKE_CFLAGS) -fvisibility=hidden -Wl,-soname,libnvidia-ml.so.1 -o $@ $< -lpthread

$(BUILD)/tests/gpu/%: tests/gpu/%.c $(FAKE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -MMD -MP -I$(CUDA_HOME)/include -Iinclude $< -o $@ -L$(FAKE) \
		-Wl,-rpath,$(abspath $(FAKE)) -lcudnn -lcublas -lcublasLt -lcudart -lpthread -lm

ifneq ($(CUDA_INC),)
GPU_TEST_DEPS := $(FAKE_LIBS) $(GPU_PROGS)
endif
gpu-fakes: $(GPU_TEST_DEPS)

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(TEST_PROGS) $(BUILD)/tests/progs/blas_calls-static \
		$(GPU_TEST_DEPS)
	@BUILD=$(BUILD) sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh examples/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/ddot_loop $(BUILD)/bench/idle_loop $(BUILD)/bench/wakeups
	@BUILD=$(BUILD) sh bench/run.sh
	@BUILD=$(BUILD) sh bench/sampling.sh
	@BUILD=$(BUILD) sh bench/ptrace.sh
	@if [ -n "$(CUDA_INC)" ]; then $(MAKE) --no-print-directory $(BUILD)/bench/gpu_overhead; fi
	@BUILD=$(BUILD) sh bench/gpu.sh

$(BUILD)/bench/gpu_overhead: bench/gpu_overhead.c $(FAKE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -I$(CUDA_HOME)/include $< -o $@ -L$(FAKE) -Wl,-rpath,$(abspath $(FAKE)) \
		-lcublas -lcublasLt -lcudart -lm

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall $(OPENBLAS_CFLAGS) $< -o $@ -lopenblas

# The binaries find the data in ../share/opcount (common/datadir.c).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/opcount/python
	install -m 755 $(BUILD)/opcount $(DESTDIR)$(PREFIX)/bin/opcount
	install -m 755 $(BUILD)/libopcount.so $(DESTDIR)$(PREFIX)/lib/libopcount.so
	install -m 644 include/opcount.h $(DESTDIR)$(PREFIX)/include/opcount.h
	install -m 644 data/*.csv data/README.md $(DESTDIR)$(PREFIX)/share/opcount/
	install -m 644 python/opcount_torch.py $(DESTDIR)$(PREFIX)/share/opcount/python/

clean:
	rm -rf build build-asan build-ubsan build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
