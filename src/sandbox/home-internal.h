/* Internal interface between home.c and home-image.c: home.c decides what
 * kind of home a user gets, home-image.c handles ext4 images on loop
 * devices. Both run in the monitor. */
#ifndef REXEC_SANDBOX_HOME_INTERNAL_H
#define REXEC_SANDBOX_HOME_INTERNAL_H

#include <stddef.h>

#include "rexec/home.h"

/* How long home_close waits for the kernel to detach an image's loop
 * device after the sandbox ended. */
#define HOME_LOOP_RELEASE_MS 2000

/* Creates, grows or checks the image home->image, attaches it to a loop
 * device and mounts it into home->tree_fd; sets home->loop_nr. Replaces
 * home->image with its canonical path. */
int home_image_open(const struct home_params *p, struct home *home, char *err, size_t err_len);

/* Waits until no loop device has image attached (the device nr, or any
 * when nr is -1), at most HOME_LOOP_RELEASE_MS. Returns the device still
 * attached, or -1. */
int home_image_wait_release(const char *image, int nr);

#endif
