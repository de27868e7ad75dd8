/*
 * dnnl_abi.c - preload/dnnl_abi.h against oneDNN's own header, where it is
 * installed (libdnnl-dev): every value and field offset that
 * preload/dnnl.c uses without the header.  Prints "ok N values" or one
 * "FAIL" line per difference, and exits 1 on any.
 */
#include <stddef.h>
#include <stdio.h>

#include <dnnl.h>

#include "dnnl_abi.h"

static int checked, failed;

#define SAME(mine, theirs)                                                       \
	do {                                                                     \
		checked++;                                                       \
		if ((long long)(mine) != (long long)(theirs)) {                  \
			printf("FAIL %s = %lld, oneDNN's %s = %lld\n", #mine,    \
			       (long long)(mine), #theirs, (long long)(theirs)); \
			failed++;                                                \
		}                                                                \
	} while (0)

int main(void)
{
	SAME(OPC_DNNL_REORDER, dnnl_reorder);
	SAME(OPC_DNNL_SHUFFLE, dnnl_shuffle);
	SAME(OPC_DNNL_CONCAT, dnnl_concat);
	SAME(OPC_DNNL_SUM, dnnl_sum);
	SAME(OPC_DNNL_CONVOLUTION, dnnl_convolution);
	SAME(OPC_DNNL_DECONVOLUTION, dnnl_deconvolution);
	SAME(OPC_DNNL_ELTWISE, dnnl_eltwise);
	SAME(OPC_DNNL_SOFTMAX, dnnl_softmax);
	SAME(OPC_DNNL_POOLING, dnnl_pooling);
	SAME(OPC_DNNL_LRN, dnnl_lrn);
	SAME(OPC_DNNL_BATCH_NORMALIZATION, dnnl_batch_normalization);
	SAME(OPC_DNNL_LAYER_NORMALIZATION, dnnl_layer_normalization);
	SAME(OPC_DNNL_INNER_PRODUCT, dnnl_inner_product);
	SAME(OPC_DNNL_RNN, dnnl_rnn);
	SAME(OPC_DNNL_GEMM, dnnl_gemm);
	SAME(OPC_DNNL_BINARY, dnnl_binary);
	SAME(OPC_DNNL_LOGSOFTMAX, dnnl_logsoftmax);
	SAME(OPC_DNNL_MATMUL, dnnl_matmul);
	SAME(OPC_DNNL_RESAMPLING, dnnl_resampling);
	SAME(OPC_DNNL_POOLING_V2, dnnl_pooling_v2);
	SAME(OPC_DNNL_REDUCTION, dnnl_reduction);
	SAME(OPC_DNNL_PRELU, dnnl_prelu);
	SAME(OPC_DNNL_SOFTMAX_V2, dnnl_softmax_v2);

	SAME(OPC_DNNL_FORWARD_TRAINING, dnnl_forward_training);
	SAME(OPC_DNNL_FORWARD_INFERENCE, dnnl_forward_inference);
	SAME(OPC_DNNL_BACKWARD, dnnl_backward);
	SAME(OPC_DNNL_BACKWARD_DATA, dnnl_backward_data);
	SAME(OPC_DNNL_BACKWARD_WEIGHTS, dnnl_backward_weights);
	SAME(OPC_DNNL_BACKWARD_BIAS, dnnl_backward_bias);

	SAME(OPC_DNNL_QUERY_PRIMITIVE_KIND, dnnl_query_primitive_kind);
	SAME(OPC_DNNL_QUERY_PROP_KIND, dnnl_query_prop_kind);
	SAME(OPC_DNNL_QUERY_SRC_MD, dnnl_query_src_md);
	SAME(OPC_DNNL_QUERY_DIFF_SRC_MD, dnnl_query_diff_src_md);
	SAME(OPC_DNNL_QUERY_WEIGHTS_MD, dnnl_query_weights_md);
	SAME(OPC_DNNL_QUERY_DIFF_WEIGHTS_MD, dnnl_query_diff_weights_md);
	SAME(OPC_DNNL_QUERY_DST_MD, dnnl_query_dst_md);
	SAME(OPC_DNNL_QUERY_DIFF_DST_MD, dnnl_query_diff_dst_md);
	SAME(OPC_DNNL_QUERY_EXEC_ARG_MD, dnnl_query_exec_arg_md);
	SAME(OPC_DNNL_QUERY_NUM_OF_INPUTS_S32, dnnl_query_num_of_inputs_s32);
	SAME(OPC_DNNL_QUERY_SHUFFLE_D, dnnl_query_shuffle_d);
	SAME(OPC_DNNL_QUERY_ELTWISE_D, dnnl_query_eltwise_d);
	SAME(OPC_DNNL_QUERY_POOLING_D, dnnl_query_pooling_d);
	SAME(OPC_DNNL_QUERY_LRN_D, dnnl_query_lrn_d);
	SAME(OPC_DNNL_QUERY_BATCH_NORMALIZATION_D, dnnl_query_batch_normalization_d);
	SAME(OPC_DNNL_QUERY_LAYER_NORMALIZATION_D, dnnl_query_layer_normalization_d);
	SAME(OPC_DNNL_QUERY_RNN_D, dnnl_query_rnn_d);
	SAME(OPC_DNNL_QUERY_RESAMPLING_D, dnnl_query_resampling_d);
	SAME(OPC_DNNL_QUERY_POOLING_V2_D, dnnl_query_pooling_v2_d);
	SAME(OPC_DNNL_QUERY_REDUCTION_D, dnnl_query_reduction_d);
	SAME(OPC_DNNL_QUERY_SOFTMAX_V2_D, dnnl_query_softmax_v2_d);

	SAME(OPC_DNNL_F16, dnnl_f16);
	SAME(OPC_DNNL_BF16, dnnl_bf16);
	SAME(OPC_DNNL_F32, dnnl_f32);
	SAME(OPC_DNNL_S32, dnnl_s32);
	SAME(OPC_DNNL_S8, dnnl_s8);
	SAME(OPC_DNNL_U8, dnnl_u8);

	SAME(OPC_DNNL_MAX_NDIMS, DNNL_MAX_NDIMS);
	SAME(OPC_DNNL_ARG_SRC_1, DNNL_ARG_SRC_1);
	SAME(OPC_DNNL_ARG_POST_OP(0), DNNL_ARG_ATTR_MULTIPLE_POST_OP(0));
	SAME(OPC_DNNL_ARG_POST_OP(3), DNNL_ARG_ATTR_MULTIPLE_POST_OP(3));
	SAME(OPC_DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_LAYER);
	SAME(OPC_DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER);
	SAME(OPC_DNNL_ARG_SRC_ITER_C, DNNL_ARG_SRC_ITER_C);
	SAME(OPC_DNNL_ARG_DST_LAYER, DNNL_ARG_DST_LAYER);
	SAME(OPC_DNNL_ARG_DST_ITER, DNNL_ARG_DST_ITER);
	SAME(OPC_DNNL_ARG_DST_ITER_C, DNNL_ARG_DST_ITER_C);
	SAME(OPC_DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_LAYER);
	SAME(OPC_DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_WEIGHTS_ITER);
	SAME(OPC_DNNL_ARG_BIAS, DNNL_ARG_BIAS);

	SAME(offsetof(struct opc_dnnl_md2, ndims), offsetof(dnnl_memory_desc_t, ndims));
	SAME(offsetof(struct opc_dnnl_md2, dims), offsetof(dnnl_memory_desc_t, dims));
	SAME(offsetof(struct opc_dnnl_md2, data_type), offsetof(dnnl_memory_desc_t, data_type));
	SAME(OPC_DNNL_OFF_ALG, offsetof(dnnl_eltwise_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG, offsetof(dnnl_pooling_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG, offsetof(dnnl_pooling_v2_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG, offsetof(dnnl_lrn_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG, offsetof(dnnl_resampling_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG_NOPROP, offsetof(dnnl_binary_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_ALG_NOPROP, offsetof(dnnl_reduction_desc_t, alg_kind));
	SAME(OPC_DNNL_OFF_POOL_KERNEL, offsetof(dnnl_pooling_desc_t, kernel));
	SAME(OPC_DNNL_OFF_POOL_KERNEL, offsetof(dnnl_pooling_v2_desc_t, kernel));
	SAME(OPC_DNNL_OFF_LRN_SIZE, offsetof(dnnl_lrn_desc_t, local_size));
	SAME(OPC_DNNL_OFF_NORM_FLAGS, offsetof(dnnl_batch_normalization_desc_t, flags));
	SAME(OPC_DNNL_OFF_NORM_FLAGS, offsetof(dnnl_layer_normalization_desc_t, flags));
	SAME(OPC_DNNL_OFF_RNN_CELL, offsetof(dnnl_rnn_desc_t, cell_kind));
	SAME(OPC_DNNL_OFF_SOFTMAX_V2_ALG, offsetof(dnnl_softmax_v2_desc_t, alg_kind));

	SAME(OPC_DNNL_USE_GLOBAL_STATS, dnnl_use_global_stats);
	SAME(OPC_DNNL_LRN_WITHIN_CHANNEL, dnnl_lrn_within_channel);
	SAME(OPC_DNNL_VANILLA_RNN, dnnl_vanilla_rnn);
	SAME(OPC_DNNL_VANILLA_LSTM, dnnl_vanilla_lstm);
	SAME(OPC_DNNL_VANILLA_GRU, dnnl_vanilla_gru);
	SAME(OPC_DNNL_LBR_GRU, dnnl_lbr_gru);
	SAME(OPC_DNNL_RESAMPLING_LINEAR, dnnl_resampling_linear);
	SAME(OPC_DNNL_REDUCTION_MEAN, dnnl_reduction_mean);
	SAME(OPC_DNNL_REDUCTION_NORM_FIRST, dnnl_reduction_norm_lp_max);
	SAME(OPC_DNNL_REDUCTION_NORM_LAST, dnnl_reduction_norm_lp_power_p_sum);
	SAME(OPC_DNNL_SOFTMAX_LOG, dnnl_softmax_log);
	SAME(OPC_DNNL_SUCCESS, dnnl_success);
	SAME(OPC_DNNL_RUNTIME_ERROR, dnnl_runtime_error);
	if (failed)
		return 1;
	printf("ok %d values and offsets of preload/dnnl_abi.h are oneDNN %d.%d's\n", checked,
	       DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR);
	return 0;
}
