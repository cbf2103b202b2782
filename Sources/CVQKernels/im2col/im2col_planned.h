// The planned AVX-512 im2col and col2im (im2col_planned.c), used by the dispatch in im2col.c.
#ifndef VQK_IM2COL_PLANNED_H
#define VQK_IM2COL_PLANNED_H

#include "CVQKernels.h"

/// im2col with the copies planned once and replayed per channel. Returns 1 when done, 0 (nothing
/// written) for geometries it does not plan: the caller then runs the unplanned code.
int vqk_im2col_planned_avx512(const vqk_im2col_geometry *g, const float *image, float *columns, long column_stride);

/// col2im with the sums planned once and replayed per channel (the image is overwritten). Returns 1
/// when done, 0 (nothing written) for geometries it does not plan: the caller then runs the
/// tap-by-tap code.
int vqk_col2im_planned_avx512(const vqk_im2col_geometry *g, const float *columns, long column_stride, float *image);

#endif
