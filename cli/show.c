// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl show: decode a checkpoint image, from a file, an area or a pipe.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <sys/user.h>

#include "cli.h"

static const char show_usage[] =
	"Usage: ckptctl show <area>[:<generation>] | <file> | - [--json]\n\n"
	"Verify and decode a checkpoint image: an area's newest committed\n"
	"generation or the one named, a standalone image file, or standard\n"
	"input. Prints the header, each process, thread and mapping.\n";

/* "rwxp" as in /proc/PID/maps. */
static const char *vma_perms(uint32_t flags, char buf[5])
{
	buf[0] = flags & CKPT_VMA_READ ? 'r' : '-';
	buf[1] = flags & CKPT_VMA_WRITE ? 'w' : '-';
	buf[2] = flags & CKPT_VMA_EXEC ? 'x' : '-';
	buf[3] = flags & CKPT_VMA_SHARED ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

/* What names a mapping: its file, or what kind of anonymous memory. */
static const char *vma_name(const struct libckpt_image_vma *v)
{
	if (v->path[0])
		return v->path;
	if (v->rec.flags & CKPT_VMA_STACK)
		return "[stack]";
	if (v->rec.flags & CKPT_VMA_HEAP)
		return "[heap]";
	if (v->rec.flags & CKPT_VMA_VDSO)
		return "[vdso]";
	return "[anon]";
}

static void thread_regs(const struct libckpt_image_thread *th,
			uint64_t *ip, uint64_t *sp)
{
	struct user_regs_struct regs;

	/* The reader guarantees regs_size == sizeof(regs). */
	memcpy(&regs, th->regs, sizeof(regs));
	*ip = regs.rip;
	*sp = regs.rsp;
}

static const char *fd_type(uint32_t type)
{
	static const char *const names[] = {
		[CKPT_FD_REG] = "file", [CKPT_FD_DIR] = "dir",
		[CKPT_FD_PIPE] = "pipe", [CKPT_FD_TTY] = "tty",
		[CKPT_FD_CHR] = "chr",
	};

	if (show_obj_kind(type))
		return show_obj_kind(type);
	return type >= CKPT_FD_REG && type <= CKPT_FD_CHR ? names[type] : "?";
}

static void show_proc_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_fd *f;
	uint32_t j;

	printf("state of pid %u: uid %u gid %u umask %04o cwd %s root %s exe %s\n",
	       t->rec.pid, p->uid, p->gid, p->umask, t->proc->cwd,
	       t->proc->root, t->proc->exe[0] ? t->proc->exe : "-");
	printf("descriptors of pid %u:\n", t->rec.pid);
	for (j = 0; j < t->rec.nr_fds; j++) {
		f = &t->fds[j];
		if (show_obj_kind(f->rec.type))
			show_obj_text(f);
		else if (f->rec.type == CKPT_FD_PIPE)
			printf("  %4d pipe:[%llu] %s, %u bytes buffered\n",
			       f->rec.fd, (unsigned long long)f->rec.ino,
			       (f->rec.f_flags & 3) ? "write end" : "read end",
			       f->rec.data_len);
		else
			printf("  %4d %-4s %s pos %llu%s%s\n", f->rec.fd,
			       fd_type(f->rec.type), f->path,
			       (unsigned long long)f->rec.pos,
			       (f->rec.flags & CKPT_FD_DELETED) ? " (deleted)" : "",
			       (f->rec.flags & CKPT_FD_CLOEXEC) ? " cloexec" : "");
	}
}

static void show_json_proc(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_fd *f;
	uint32_t j;

	printf(", \"uid\": %u, \"gid\": %u, \"umask\": %u, \"cwd\": ",
	       p->uid, p->gid, p->umask);
	json_str(t->proc->cwd);
	printf(", \"root\": ");
	json_str(t->proc->root);
	printf(", \"exe\": ");
	json_str(t->proc->exe);
	printf(", \"fds\": [");
	for (j = 0; j < t->rec.nr_fds; j++) {
		f = &t->fds[j];
		printf("%s{\"fd\": %d, \"type\": \"%s\"",
		       j ? ", " : "", f->rec.fd, fd_type(f->rec.type));
		if (show_obj_kind(f->rec.type)) {
			show_obj_json(f);
			printf("}");
			continue;
		}
		printf(", \"path\": ");
		json_str(f->path);
		printf(", \"pos\": %llu, \"flags\": %u, \"data_len\": %u}",
		       (unsigned long long)f->rec.pos, f->rec.f_flags,
		       f->rec.data_len);
	}
	printf("]");
}

static void show_text(const struct libckpt_image *img)
{
	const struct ckpt_image_hdr *h = libckpt_image_hdr(img);
	const struct libckpt_image_task *t;
	const struct libckpt_image_vma *v;
	uint64_t ip, sp;
	char perms[5];
	size_t i, j;

	printf("format version:    %u\n", h->version);
	if (h->generation)
		printf("generation:        %llu\n", h->generation);
	else
		printf("generation:        standalone\n");
	printf("created:           ");
	print_time(h->created_ns);
	printf("\nfreeze time:       %llu.%03llu us\n", h->freeze_ns / 1000,
	       h->freeze_ns % 1000);
	printf("size:              %" PRIu64 " bytes\n", libckpt_image_size(img));
	printf("processes:         %u\nthreads:           %u\n",
	       h->nr_tasks, h->nr_threads);

	printf("\n%7s %7s %7s %7s %-16s %7s %5s %9s\n", "PID", "PPID", "PGID",
	       "SID", "COMM", "THREADS", "VMAS", "PAGES");
	for (i = 0; (t = libckpt_image_task(img, i)); i++)
		printf("%7u %7u %7u %7u %-16s %7u %5u %9llu\n", t->rec.pid,
		       t->rec.ppid, t->rec.pgid, t->rec.sid, t->comm,
		       t->rec.nr_threads, t->rec.nr_vmas, t->rec.nr_pages);

	printf("\n%7s %7s %-18s %-18s %6s\n", "TID", "PID", "IP", "SP",
	       "XSTATE");
	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		for (j = 0; j < t->rec.nr_threads; j++) {
			thread_regs(&t->threads[j], &ip, &sp);
			printf("%7u %7u 0x%016" PRIx64 " 0x%016" PRIx64 " %6u\n",
			       t->threads[j].rec.tid, t->rec.pid, ip, sp,
			       t->threads[j].rec.xstate_size);
		}
	}

	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		printf("\nmappings of pid %u:\n", t->rec.pid);
		for (j = 0; j < t->rec.nr_vmas; j++) {
			v = &t->vmas[j];
			printf("  %012llx-%012llx %s %7llu  %s\n", v->rec.start,
			       v->rec.end, vma_perms(v->rec.flags, perms),
			       v->rec.nr_pages, vma_name(v));
		}
		show_proc_text(t);
	}
}

static void show_json_task(const struct libckpt_image_task *t)
{
	const struct libckpt_image_vma *v;
	uint64_t ip, sp;
	char perms[5];
	size_t j;

	printf("{\"pid\": %u, \"ppid\": %u, \"pgid\": %u, \"sid\": %u, \"comm\": ",
	       t->rec.pid, t->rec.ppid, t->rec.pgid, t->rec.sid);
	json_str(t->comm);
	printf(", \"pages\": %llu, \"threads\": [", t->rec.nr_pages);
	for (j = 0; j < t->rec.nr_threads; j++) {
		thread_regs(&t->threads[j], &ip, &sp);
		printf("%s{\"tid\": %u, \"ip\": \"0x%" PRIx64 "\", \"sp\": \"0x%"
		       PRIx64 "\", \"xstate_size\": %u}", j ? ", " : "",
		       t->threads[j].rec.tid, ip, sp,
		       t->threads[j].rec.xstate_size);
	}
	printf("], \"vmas\": [");
	for (j = 0; j < t->rec.nr_vmas; j++) {
		v = &t->vmas[j];
		printf("%s{\"start\": \"0x%llx\", \"end\": \"0x%llx\", "
		       "\"flags\": \"%s\", \"pages\": %llu, \"path\": ",
		       j ? ", " : "", v->rec.start, v->rec.end,
		       vma_perms(v->rec.flags, perms), v->rec.nr_pages);
		json_str(vma_name(v));
		printf("}");
	}
	printf("]");
	show_json_proc(t);
	printf("}");
}

static void show_json(const struct libckpt_image *img)
{
	const struct ckpt_image_hdr *h = libckpt_image_hdr(img);
	const struct libckpt_image_task *t;
	size_t i;

	printf("{\"version\": %u, \"generation\": %llu, \"created_ns\": %llu, "
	       "\"freeze_ns\": %llu, \"size\": %" PRIu64 ", \"nr_tasks\": %u, "
	       "\"nr_threads\": %u, \"tasks\": [", h->version, h->generation,
	       h->created_ns, h->freeze_ns, libckpt_image_size(img),
	       h->nr_tasks, h->nr_threads);
	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		if (i)
			printf(", ");
		show_json_task(t);
	}
	printf("]}\n");
}

int show_main(int argc, char **argv)
{
	char err[LIBCKPT_ERRLEN] = "";
	struct libckpt_image *img;
	const char *spec = NULL;
	bool json = false;
	int i, ret;

	if (wants_help(argc, argv, show_usage))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!spec && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			spec = argv[i];
		else
			goto usage;
	}
	if (!spec)
		goto usage;
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	/* A stream is only verified once its pages have gone by. */
	if (!ret && !libckpt_image_size(img)) {
		ret = libckpt_image_pages(img, NULL, NULL, err, sizeof(err));
		if (ret)
			libckpt_image_close(img);
	}
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, spec,
			err[0] ? err : strerror(-ret));
		return EXIT_FAILED;
	}
	if (json)
		show_json(img);
	else
		show_text(img);
	libckpt_image_close(img);
	return EXIT_OK;

usage:
	fprintf(stderr, "%s", show_usage);
	return EXIT_USAGE;
}
