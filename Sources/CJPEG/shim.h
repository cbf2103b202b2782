// The system libjpeg (libjpeg-turbo: Debian's libjpeg62-turbo-dev, Homebrew's jpeg-turbo), wrapped in
// two C functions that do all their work in C; JPEGDecoder (Sources/VQData/Images) calls them.
//
// libjpeg reports a fatal error by calling error_exit, which by default prints and calls exit(). The
// documented way to recover is to longjmp from error_exit back to a setjmp made before calling the
// library. Swift cannot take part in setjmp/longjmp, so each function below makes its own setjmp, and
// only C frames (its own and libjpeg's) lie between it and the longjmp. Nothing is ever printed.
//
// Warnings (msg_level -1: "Premature end of JPEG file", "Corrupt JPEG data: ...", "Inconsistent
// progression sequence", ...) are fatal here too: by default libjpeg goes on and fills what it could
// not decode with gray, so a truncated or damaged file would silently become another image. The one
// warning let through is an unknown JFIF major version, which says nothing about the image data.
#ifndef VQ_CJPEG_SHIM_H
#define VQ_CJPEG_SHIM_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>  // jpeglib.h needs FILE and size_t declared before it
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/// How a call ended.
typedef enum {
    VQ_JPEG_OK = 0,
    /// libjpeg stopped with an error (error_exit); `message` is libjpeg's.
    VQ_JPEG_ERROR = 1,
    /// libjpeg warned of damaged data (emit_message at level -1); `message` is libjpeg's.
    VQ_JPEG_DAMAGED = 2,
    /// The file has more scans than the caller allows.
    VQ_JPEG_TOO_MANY_SCANS = 3,
    /// The colour space is not gray, YCbCr or RGB (`color_space` says which).
    VQ_JPEG_UNSUPPORTED_COLOR_SPACE = 4,
    /// The output does not have the size the caller allocated for (the header changed between calls).
    VQ_JPEG_WRONG_SIZE = 5,
} vq_jpeg_status;

/// What the functions report.
typedef struct {
    vq_jpeg_status status;
    /// The image's size and component count as the file declares them (SOF marker).
    unsigned int width;
    unsigned int height;
    int components;
    /// libjpeg's J_COLOR_SPACE for the file (JCS_GRAYSCALE, JCS_YCbCr, JCS_RGB, JCS_CMYK, JCS_YCCK or
    /// JCS_UNKNOWN), as it reads it from the component count and the JFIF and Adobe markers.
    int color_space;
    /// The channels of the decoded pixels: 1 for gray, 3 (R, G, B) for YCbCr and RGB, 0 otherwise.
    int channels;
    /// With VQ_JPEG_ERROR or VQ_JPEG_DAMAGED: libjpeg's message, one line, no newline.
    char message[JMSG_LENGTH_MAX];
} vq_jpeg_report;

/// libjpeg's error manager, followed by where to jump back to and what to report.
typedef struct {
    struct jpeg_error_mgr manager;  // first: libjpeg sees only this part
    jmp_buf jump;
    vq_jpeg_report *report;
    int max_scans;
} vq_jpeg_error;

static inline void vq_jpeg_error_exit(j_common_ptr cinfo) {
    vq_jpeg_error *error = (vq_jpeg_error *)cinfo->err;
    error->report->status = VQ_JPEG_ERROR;
    (*cinfo->err->format_message)(cinfo, error->report->message);
    longjmp(error->jump, 1);
}

static inline void vq_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0 || cinfo->err->msg_code == JWRN_JFIF_MAJOR) return;  // trace messages; a JFIF version
    vq_jpeg_error *error = (vq_jpeg_error *)cinfo->err;
    error->report->status = VQ_JPEG_DAMAGED;
    (*cinfo->err->format_message)(cinfo, error->report->message);
    longjmp(error->jump, 1);
}

/// Called by libjpeg as it works: stops a file with more scans than allowed (a progressive file of
/// thousands of tiny scans makes each of them a pass over the whole image).
static inline void vq_jpeg_progress(j_common_ptr cinfo) {
    vq_jpeg_error *error = (vq_jpeg_error *)cinfo->err;
    if (((j_decompress_ptr)cinfo)->input_scan_number > error->max_scans) {
        error->report->status = VQ_JPEG_TOO_MANY_SCANS;
        longjmp(error->jump, 1);
    }
}

/// Clears `report` and `cinfo` (so that jpeg_destroy_decompress is safe wherever the jump comes from)
/// and gives `cinfo` the error manager `error`, which writes into `report`.
static inline void vq_jpeg_prepare(j_decompress_ptr cinfo, vq_jpeg_error *error, vq_jpeg_report *report) {
    memset(report, 0, sizeof *report);
    memset(cinfo, 0, sizeof *cinfo);
    cinfo->err = jpeg_std_error(&error->manager);
    error->manager.error_exit = vq_jpeg_error_exit;
    error->manager.emit_message = vq_jpeg_emit_message;
    error->report = report;
    error->max_scans = 0;
}

/// Copies what jpeg_read_header found into `report` and chooses the output colour space.
static inline void vq_jpeg_describe(j_decompress_ptr cinfo, vq_jpeg_report *report) {
    report->width = cinfo->image_width;
    report->height = cinfo->image_height;
    report->components = cinfo->num_components;
    report->color_space = (int)cinfo->jpeg_color_space;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        report->channels = 1;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        report->channels = 3;
        break;
    default:
        report->channels = 0;
    }
}

/// Reads the markers of the JPEG in `data` up to its first scan and fills `report` (size, components,
/// colour space, channels). Returns VQ_JPEG_OK, or the failure (also in `report->status`).
static inline vq_jpeg_status vq_jpeg_read_header(const unsigned char *data, unsigned long size, vq_jpeg_report *report) {
    struct jpeg_decompress_struct cinfo;
    vq_jpeg_error error;
    vq_jpeg_prepare(&cinfo, &error, report);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return report->status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    vq_jpeg_describe(&cinfo, report);
    jpeg_destroy_decompress(&cinfo);
    return VQ_JPEG_OK;
}

/// Decodes the JPEG in `data` into `pixels`: rows top to bottom, `report->channels` bytes per pixel
/// (1 gray; 3 R, G, B). `capacity` must be width × height × channels as `vq_jpeg_read_header` found
/// them. libjpeg's defaults are kept: the accurate integer IDCT (JDCT_ISLOW), fancy upsampling, no
/// scaling. The file is read to its end-of-image marker, so damage after the last row counts too; at
/// most `max_scans` scans are read. Returns VQ_JPEG_OK, or the failure (also in `report->status`).
static inline vq_jpeg_status vq_jpeg_decode(const unsigned char *data, unsigned long size, unsigned char *pixels,
                                            size_t capacity, int max_scans, vq_jpeg_report *report) {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    vq_jpeg_error error;
    vq_jpeg_prepare(&cinfo, &error, report);
    error.max_scans = max_scans;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return report->status;
    }
    jpeg_create_decompress(&cinfo);
    memset(&progress, 0, sizeof progress);
    progress.progress_monitor = vq_jpeg_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    vq_jpeg_describe(&cinfo, report);
    if (report->channels == 0) {
        report->status = VQ_JPEG_UNSUPPORTED_COLOR_SPACE;
        jpeg_destroy_decompress(&cinfo);
        return report->status;
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_components != report->channels || row_bytes * (size_t)cinfo.output_height != capacity) {
        report->status = VQ_JPEG_WRONG_SIZE;
        jpeg_destroy_decompress(&cinfo);
        return report->status;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        // A memory source never suspends, so each call gives a row or jumps; guard the loop anyway.
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            report->status = VQ_JPEG_WRONG_SIZE;
            jpeg_destroy_decompress(&cinfo);
            return report->status;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return VQ_JPEG_OK;
}

#endif
