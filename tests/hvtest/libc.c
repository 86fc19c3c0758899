/*
 * hvtest: the few C library functions the guest needs (the compiler may
 * also emit calls to memset/memcpy/memmove/memcmp itself).
 *
 * printf supports %d %i %u %x %X %p %s %c %% with the flags '-' and '0',
 * a field width and the length modifiers l, ll and z.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvtest.h"

void *memset(void *s, int c, size_t n)
{
    uint8_t *p = s;

    while (n--) {
        *p++ = (uint8_t)c;
    }
    return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else if (d > s) {
        d += n;
        s += n;
        while (n--) {
            *--d = *--s;
        }
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (; n; n--, x++, y++) {
        if (*x != *y) {
            return *x < *y ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b) {
            return (uint8_t)*a < (uint8_t)*b ? -1 : 1;
        }
        if (!*a) {
            break;
        }
    }
    return 0;
}

typedef struct OutBuf {
    char *buf;
    size_t size;
    size_t len;             /* what the full output would be */
} OutBuf;

static void out_char(OutBuf *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void out_padded(OutBuf *o, const char *s, size_t n, int width,
                       bool left, char pad)
{
    size_t i;

    while (!left && width > 0 && (size_t)width > n) {
        out_char(o, pad);
        width--;
    }
    for (i = 0; i < n; i++) {
        out_char(o, s[i]);
    }
    while (left && width > 0 && (size_t)width > n) {
        out_char(o, ' ');
        width--;
    }
}

static void out_number(OutBuf *o, uint64_t v, bool negative, unsigned base,
                       bool upper, int width, bool left, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;

    do {
        tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
        v /= base;
    } while (v);
    if (negative) {
        if (pad == '0') {
            out_char(o, '-');
            width = width > 0 ? width - 1 : 0;
        } else {
            tmp[sizeof(tmp) - 1 - n++] = '-';
        }
    }
    out_padded(o, tmp + sizeof(tmp) - n, n, width, left, pad);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    OutBuf o = { .buf = buf, .size = size, .len = 0 };

    for (; *fmt; fmt++) {
        bool left = false;
        char pad = ' ';
        int width = 0;
        int longs = 0;

        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                left = true;
            } else if (*fmt == '0') {
                pad = '0';
            } else {
                break;
            }
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l' || *fmt == 'z') {
            longs += *fmt == 'z' ? 2 : 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

            out_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10,
                       false, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);

            out_number(&o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X',
                       width, left, pad);
            break;
        }
        case 'p':
            out_char(&o, '0');
            out_char(&o, 'x');
            out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false,
                       width, left, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);

            if (!s) {
                s = "(null)";
            }
            out_padded(&o, s, strlen(s), width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);

            out_padded(&o, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            out_char(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            out_char(&o, '%');
            out_char(&o, *fmt);
            break;
        }
    }
    if (size) {
        buf[o.len < size ? o.len : size - 1] = '\0';
    }
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    return n;
}
