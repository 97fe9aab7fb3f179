/* p1_save.c — --save GUEST=DEST: when the program exits (returns from _start, which the
 * entry `membrane virt` generates reports through the export membrane:exit, or calls
 * proc_exit), the tree at GUEST (a --mem tree, as the program left it) is copied onto a
 * :rw host mount at DEST, so that whoever ran the program reads its output files from
 * the host. Semantics (also in membrane_wasi_virt.h, mb_virt_save):
 *   - directories, regular files and symlinks (texts verbatim), each with the atim and
 *     mtim it has in the tree, where the host lets them be set (Node: whole seconds);
 *     hard links become separate files;
 *   - the tree is built in DEST's directory under ".NAME.membrane-save-N" and renamed to
 *     DEST once complete; a DEST that exists must be a directory and is replaced: moved
 *     aside to ".NAME.membrane-old-N", the new tree renamed in, the old one removed. So a
 *     name that looks complete never holds half a tree, and a failed save leaves DEST as
 *     it was (its temporary tree removed);
 *   - a failure is one line on the host's stderr naming the save, the file and the
 *     errno, and makes the exit status MB_VIRT_SAVE_FAILED_STATUS (74) when the program's
 *     was 0; a program that failed keeps its own status.
 * Everything goes through the vfs, so DEST is reached with the mount's confinement. A
 * trap skips all this: nothing runs after it. */
#include <stdlib.h>
#include <string.h>

#include "p1.h"

#ifdef MB_VFS_NO_HOST
/* Without host mounts there is no :rw mount to save to (the policy check requires one,
 * and `membrane virt` picks the full wasi-virt then). */
uint32_t p1_save_at_exit(uint32_t code) { return code; }
#else

static void say(const char *s, size_t n) { p1_host_stderr(s, n); }
static void says(const char *s) { p1_host_stderr(s, strlen(s)); }

/* ---- the save being made, for messages ---- */

static const mb_virt_config_save *job;

/* Paths for messages only, cut to fit: the source's guest path and the destination's. */
#define SAVE_PATH_CAP (2 * MB_VFS_PATH_MAX)
typedef struct pathbuf {
  char s[SAVE_PATH_CAP];
  size_t len;
} pathbuf;
static pathbuf src_path, dst_path;

static void path_set(pathbuf *p, const char *s, size_t n) {
  p->len = n < SAVE_PATH_CAP ? n : SAVE_PATH_CAP;
  memcpy(p->s, s, p->len);
}
/* Append "/name" (nothing after a root "/"), from length `at`. */
static void path_push(pathbuf *p, size_t at, const char *name, size_t n) {
  p->len = at;
  if (!(at == 1 && p->s[0] == '/') && p->len < SAVE_PATH_CAP) p->s[p->len++] = '/';
  size_t k = SAVE_PATH_CAP - p->len < n ? SAVE_PATH_CAP - p->len : n;
  memcpy(p->s + p->len, name, k);
  p->len += k;
}

static void head(void) {
  says("membrane wasi-virt: --save ");
  say(job->guest.ptr, job->guest.len);
  says("=");
  say(job->dest.ptr, job->dest.len);
  says(": ");
}

/* "...: WHAT PATH[ AND PATH2]: ERRNO; nothing saved, DEST is as it was" */
static bool failed2(const char *what, const pathbuf *p, const char *and, const pathbuf *p2,
                    mb_wasi_errno e) {
  head();
  says(what);
  if (p) say(p->s, p->len);
  if (and) says(and);
  if (p2) say(p2->s, p2->len);
  if (e) {
    says(": ");
    says(mb_wasi_errno_name(e));
  }
  says("; nothing saved, ");
  say(job->dest.ptr, job->dest.len);
  says(" is as it was\n");
  return false;
}
static bool failed(const char *what, const pathbuf *p, mb_wasi_errno e) {
  return failed2(what, p, NULL, NULL, e);
}

/* ---- resolving guest paths ---- */

/* The longest mount at `path` (or_equal) or holding it, opened at its root, and the
 * rest of the path below it ("" for the mount point itself). */
static mb_wasi_errno open_mount_of(mb_virt_config_str path, bool or_equal, mb_vfs_file **root,
                                   const char **rest, size_t *rest_len) {
  int best = -1;
  size_t best_len = 0;
  for (uint32_t i = 0; i < mb_vfs_mount_count(p1.vfs); i++) {
    size_t n;
    const char *name = mb_vfs_mount_name(p1.vfs, i, &n);
    bool root_mount = n == 1 && name[0] == '/';
    bool in = path.len >= n && memcmp(path.ptr, name, n) == 0 &&
              (root_mount ? path.len > 1 || or_equal
                          : (path.len > n && path.ptr[n] == '/') || (path.len == n && or_equal));
    if (in && (best < 0 || n > best_len)) best = (int)i, best_len = n;
  }
  if (best < 0) return MB_WASI_ENOENT;
  size_t skip = best_len == 1 ? 1 : best_len + 1;
  *rest = path.ptr + (skip < path.len ? skip : path.len);
  *rest_len = path.len > skip ? path.len - skip : 0;
  return mb_vfs_open_root(p1.vfs, (uint32_t)best, root);
}

static mb_wasi_errno open_dir(mb_vfs_file *at, const char *path, size_t len, mb_vfs_file **out) {
  return mb_vfs_open(at, MB_WASI_LOOKUP_SYMLINK_FOLLOW, path, len, MB_WASI_O_DIRECTORY,
                     MB_VFS_ACCESS_READ, 0, out);
}

/* ---- directory listings ---- */

/* The names in directory d but "." and "..", read before anything in it changes. */
typedef struct names {
  char **v;
  uint32_t n;
} names;

static void names_free(names *l) {
  for (uint32_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

static mb_wasi_errno list(mb_vfs_file *d, names *out) {
  out->v = NULL;
  out->n = 0;
  uint32_t cap = 0;
  uint64_t cookie = 0;
  for (;;) {
    mb_vfs_dirent ent;
    bool end;
    mb_wasi_errno e = mb_vfs_dir_next(d, cookie, &ent, &end);
    if (e || end) {
      if (e) names_free(out);
      return e;
    }
    cookie = ent.next;
    if ((ent.name_len == 1 && ent.name[0] == '.') ||
        (ent.name_len == 2 && ent.name[0] == '.' && ent.name[1] == '.'))
      continue;
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = cap < (UINT32_C(1) << 28) ? realloc(out->v, cap * sizeof *nv) : NULL;
      if (!nv) {
        names_free(out);
        return MB_WASI_ENOMEM;
      }
      out->v = nv;
    }
    char *s = malloc(ent.name_len + 1);
    if (!s) {
      names_free(out);
      return MB_WASI_ENOMEM;
    }
    memcpy(s, ent.name, ent.name_len);
    s[ent.name_len] = '\0';
    out->v[out->n++] = s;
  }
}

/* A stack of directories being walked (explicit: a tree may be deeper than wasi-virt's
 * stack would like). src is NULL when removing. */
typedef struct frame {
  mb_vfs_file *src, *dst;
  names l;
  uint32_t next;
  const char *name; /* this directory's name in its parent (removal) */
  size_t src_len, dst_len;
  uint64_t atim, mtim;
} frame;

typedef struct stack {
  frame *v;
  uint32_t n, cap;
} stack;

static frame *push(stack *s) {
  if (s->n == s->cap) {
    uint32_t cap = s->cap ? s->cap * 2 : 8;
    frame *nv = realloc(s->v, cap * sizeof *nv);
    if (!nv) return NULL;
    s->v = nv;
    s->cap = cap;
  }
  frame *f = &s->v[s->n++];
  memset(f, 0, sizeof *f);
  return f;
}

static void pop(stack *s) {
  frame *f = &s->v[--s->n];
  mb_vfs_close(f->src);
  mb_vfs_close(f->dst);
  names_free(&f->l);
}

static void stack_free(stack *s) {
  while (s->n) pop(s);
  free(s->v);
}

/* ---- removing a tree on the destination (a failed save's, or the replaced DEST) ---- */

/* Remove `name` in directory `dir` and everything below it; best effort, the first
 * errno is returned. */
static mb_wasi_errno remove_tree(mb_vfs_file *dir, const char *name) {
  size_t nl = strlen(name);
  mb_vfs_filestat st;
  mb_wasi_errno e = mb_vfs_path_stat(dir, 0, name, nl, &st);
  if (e) return e == MB_WASI_ENOENT ? MB_WASI_ESUCCESS : e;
  if (st.filetype != MB_WASI_FILETYPE_DIRECTORY) return mb_vfs_unlink(dir, name, nl);
  stack s = {NULL, 0, 0};
  mb_wasi_errno first = MB_WASI_ESUCCESS;
  frame *f = push(&s);
  if (!f) return MB_WASI_ENOMEM;
  f->name = name;
  if ((e = open_dir(dir, name, nl, &f->dst)) || (e = list(f->dst, &f->l))) {
    stack_free(&s);
    return e;
  }
  while (s.n) {
    f = &s.v[s.n - 1];
    if (f->next == f->l.n) {
      /* empty now: remove it from its parent */
      mb_vfs_file *parent = s.n > 1 ? s.v[s.n - 2].dst : dir;
      const char *dn = f->name;
      mb_vfs_close(f->dst);
      f->dst = NULL;
      e = mb_vfs_rmdir(parent, dn, strlen(dn));
      if (e && !first) first = e;
      pop(&s);
      continue;
    }
    const char *n = f->l.v[f->next++];
    size_t len = strlen(n);
    if ((e = mb_vfs_path_stat(f->dst, 0, n, len, &st))) {
      if (e != MB_WASI_ENOENT && !first) first = e;
      continue;
    }
    if (st.filetype != MB_WASI_FILETYPE_DIRECTORY) {
      if ((e = mb_vfs_unlink(f->dst, n, len)) && !first) first = e;
      continue;
    }
    mb_vfs_file *sub;
    if ((e = open_dir(f->dst, n, len, &sub))) {
      if (!first) first = e;
      continue;
    }
    frame *c = push(&s);
    if (!c) {
      mb_vfs_close(sub);
      if (!first) first = MB_WASI_ENOMEM;
      break;
    }
    c->dst = sub;
    c->name = n; /* lives in the parent frame's list, which outlives this one */
    if ((e = list(sub, &c->l))) {
      if (!first) first = e;
      pop(&s);
    }
  }
  stack_free(&s);
  return first;
}

/* ---- copying ---- */

static uint8_t chunk[65536];

static mb_wasi_errno copy_file(mb_vfs_file *sdir, mb_vfs_file *ddir, const char *name,
                               size_t len, const mb_vfs_filestat *st) {
  mb_vfs_file *in = NULL, *out = NULL;
  mb_wasi_errno e = mb_vfs_open(sdir, 0, name, len, 0, MB_VFS_ACCESS_READ, 0, &in);
  if (!e)
    e = mb_vfs_open(ddir, 0, name, len, MB_WASI_O_CREAT | MB_WASI_O_EXCL, MB_VFS_ACCESS_WRITE,
                    0, &out);
  while (!e) {
    size_t got = 0;
    if ((e = mb_vfs_read(in, chunk, sizeof chunk, &got)) || got == 0) break;
    for (size_t off = 0; off < got && !e;) {
      size_t put = 0;
      e = mb_vfs_write(out, chunk + off, got - off, &put);
      if (!e && put == 0) e = MB_WASI_EIO; /* no progress: never loop */
      off += put;
    }
  }
  /* times where the host lets them be set; a host that cannot is no failed save */
  if (!e)
    (void)mb_vfs_set_times(out, st->atim, st->mtim, MB_WASI_FST_ATIM | MB_WASI_FST_MTIM);
  mb_vfs_close(in);
  mb_vfs_close(out);
  return e;
}

static mb_wasi_errno copy_symlink(mb_vfs_file *sdir, mb_vfs_file *ddir, const char *name,
                                  size_t len, const mb_vfs_filestat *st) {
  static char text[MB_VFS_PATH_MAX];
  size_t n = 0;
  mb_wasi_errno e = mb_vfs_readlink(sdir, name, len, text, sizeof text, &n);
  if (!e) e = mb_vfs_symlink(text, n, ddir, name, len);
  if (!e)
    (void)mb_vfs_path_set_times(ddir, 0, name, len, st->atim, st->mtim,
                                MB_WASI_FST_ATIM | MB_WASI_FST_MTIM);
  return e;
}

/* Copy the directory src's contents into the empty directory dst (both taken: closed
 * here). On failure the message is out (false). */
static bool copy_tree(mb_vfs_file *src, mb_vfs_file *dst, const mb_vfs_filestat *root_st) {
  stack s = {NULL, 0, 0};
  bool ok = true;
  mb_wasi_errno e;
  frame *f = push(&s);
  if (!f) {
    mb_vfs_close(src);
    mb_vfs_close(dst);
    return failed("out of memory copying ", &src_path, 0);
  }
  f->src = src;
  f->dst = dst;
  f->src_len = src_path.len;
  f->dst_len = dst_path.len;
  f->atim = root_st->atim;
  f->mtim = root_st->mtim;
  if ((e = list(src, &f->l))) ok = failed("cannot list ", &src_path, e);
  while (ok && s.n) {
    f = &s.v[s.n - 1];
    if (f->next == f->l.n) {
      /* last: its entries changed its times */
      (void)mb_vfs_set_times(f->dst, f->atim, f->mtim, MB_WASI_FST_ATIM | MB_WASI_FST_MTIM);
      pop(&s);
      continue;
    }
    const char *n = f->l.v[f->next++];
    size_t len = strlen(n);
    path_push(&src_path, f->src_len, n, len);
    path_push(&dst_path, f->dst_len, n, len);
    mb_vfs_filestat st;
    if ((e = mb_vfs_path_stat(f->src, 0, n, len, &st))) {
      ok = failed("cannot stat ", &src_path, e);
      break;
    }
    if (st.filetype == MB_WASI_FILETYPE_REGULAR_FILE) {
      if ((e = copy_file(f->src, f->dst, n, len, &st)))
        ok = failed2("cannot copy ", &src_path, " to ", &dst_path, e);
      continue;
    }
    if (st.filetype == MB_WASI_FILETYPE_SYMBOLIC_LINK) {
      if ((e = copy_symlink(f->src, f->dst, n, len, &st)))
        ok = failed2("cannot copy the symlink ", &src_path, " to ", &dst_path, e);
      continue;
    }
    if (st.filetype != MB_WASI_FILETYPE_DIRECTORY) {
      ok = failed2("", &src_path, " is neither a file, a directory nor a symlink", NULL, 0);
      break;
    }
    mb_vfs_file *sub_src = NULL, *sub_dst = NULL;
    if ((e = mb_vfs_mkdir(f->dst, n, len))) {
      ok = failed("cannot make the directory ", &dst_path, e);
      break;
    }
    if ((e = open_dir(f->src, n, len, &sub_src))) {
      ok = failed("cannot open ", &src_path, e);
      break;
    }
    if ((e = open_dir(f->dst, n, len, &sub_dst))) {
      mb_vfs_close(sub_src);
      ok = failed("cannot open ", &dst_path, e);
      break;
    }
    frame *c = push(&s);
    if (!c) {
      mb_vfs_close(sub_src);
      mb_vfs_close(sub_dst);
      ok = failed("out of memory copying ", &src_path, 0);
      break;
    }
    c->src = sub_src;
    c->dst = sub_dst;
    c->src_len = src_path.len;
    c->dst_len = dst_path.len;
    c->atim = st.atim;
    c->mtim = st.mtim;
    if ((e = list(sub_src, &c->l))) ok = failed("cannot list ", &src_path, e);
  }
  stack_free(&s);
  return ok;
}

/* ---- one save ---- */

/* ".NAME.membrane-KIND-N" (NAME cut to 200 bytes: the whole stays a valid name). */
static size_t side_name(char *buf, const char *name, size_t len, const char *kind, uint32_t n) {
  size_t k = 0, nl = len < 200 ? len : 200;
  buf[k++] = '.';
  memcpy(buf + k, name, nl);
  k += nl;
  memcpy(buf + k, ".membrane-", 10);
  k += 10;
  memcpy(buf + k, kind, strlen(kind));
  k += strlen(kind);
  buf[k++] = '-';
  char d[10];
  size_t nd = 0;
  do d[nd++] = (char)('0' + n % 10); while ((n /= 10) != 0);
  while (nd) buf[k++] = d[--nd];
  buf[k] = '\0';
  return k;
}

#define SIDE_TRIES 1000

static bool save_one(const mb_virt_config_save *s) {
  job = s;
  mb_vfs_file *sroot = NULL, *src = NULL, *droot = NULL, *parent = NULL, *tmp = NULL;
  bool ok = false;
  const char *srest, *drest;
  size_t srest_len, drest_len;
  mb_wasi_errno e;
  char tmp_name[256], old_name[256];
  path_set(&src_path, s->guest.ptr, s->guest.len);
  path_set(&dst_path, s->dest.ptr, s->dest.len);

  /* the source: a directory */
  if ((e = open_mount_of(s->guest, true, &sroot, &srest, &srest_len))) {
    failed("no mount holds ", &src_path, e);
    goto out;
  }
  if (srest_len == 0) src = sroot, sroot = NULL;
  else if ((e = open_dir(sroot, srest, srest_len, &src))) {
    failed("cannot open the directory ", &src_path, e);
    goto out;
  }
  mb_vfs_filestat sst;
  if ((e = mb_vfs_stat(src, &sst))) {
    failed("cannot stat ", &src_path, e);
    goto out;
  }

  /* the destination's directory, and what is at DEST now */
  if ((e = open_mount_of(s->dest, false, &droot, &drest, &drest_len))) {
    failed("no mount holds ", &dst_path, e);
    goto out;
  }
  const char *name = drest;
  size_t name_len = drest_len;
  for (size_t i = drest_len; i > 0; i--)
    if (drest[i - 1] == '/') {
      name = drest + i;
      name_len = drest_len - i;
      break;
    }
  size_t parent_len = s->dest.len - name_len - 1;
  if (parent_len == 0) parent_len = 1; /* "/" */
  if (name == drest) parent = droot, droot = NULL;
  else if ((e = open_dir(droot, drest, (size_t)(name - drest) - 1, &parent))) {
    path_set(&dst_path, s->dest.ptr, parent_len);
    failed("cannot open DEST's directory ", &dst_path, e);
    goto out;
  }
  char dname[MB_VFS_NAME_MAX + 1];
  if (name_len == 0 || name_len > MB_VFS_NAME_MAX) { /* the policy allows neither */
    failed("no name to save at: ", &dst_path, MB_WASI_EINVAL);
    goto out;
  }
  memcpy(dname, name, name_len);
  dname[name_len] = '\0';
  mb_vfs_filestat dst_st;
  e = mb_vfs_path_stat(parent, 0, dname, name_len, &dst_st);
  bool exists = e == MB_WASI_ESUCCESS;
  if (e && e != MB_WASI_ENOENT) {
    failed("cannot look at ", &dst_path, e);
    goto out;
  }
  if (exists && dst_st.filetype != MB_WASI_FILETYPE_DIRECTORY) {
    failed2("", &dst_path, " exists and is not a directory", NULL, 0);
    goto out;
  }

  /* the new tree under a temporary name */
  size_t tl = 0;
  for (uint32_t n = 1; n <= SIDE_TRIES; n++) {
    tl = side_name(tmp_name, dname, name_len, "save", n);
    if ((e = mb_vfs_mkdir(parent, tmp_name, tl)) != MB_WASI_EEXIST) break;
  }
  path_set(&dst_path, s->dest.ptr, parent_len);
  path_push(&dst_path, parent_len, tmp_name, tl);
  if (e) {
    failed("cannot make the directory ", &dst_path, e);
    goto out;
  }
  if ((e = open_dir(parent, tmp_name, tl, &tmp))) {
    failed("cannot open ", &dst_path, e);
    (void)remove_tree(parent, tmp_name);
    goto out;
  }
  bool copied = copy_tree(src, tmp, &sst);
  src = tmp = NULL; /* copy_tree closed them */
  if (!copied) {
    (void)remove_tree(parent, tmp_name);
    goto out;
  }

  /* into place: the old DEST aside, the new one in, the old one gone */
  path_set(&dst_path, s->dest.ptr, s->dest.len);
  size_t ol = 0;
  if (exists) {
    for (uint32_t n = 1; n <= SIDE_TRIES; n++) {
      ol = side_name(old_name, dname, name_len, "old", n);
      mb_vfs_filestat ost;
      if ((e = mb_vfs_path_stat(parent, 0, old_name, ol, &ost)) == MB_WASI_ENOENT) break;
      if (!e) e = MB_WASI_EEXIST;
    }
    if (e == MB_WASI_ENOENT) e = mb_vfs_rename(parent, dname, name_len, parent, old_name, ol);
    if (e) {
      failed("cannot move aside the existing ", &dst_path, e);
      (void)remove_tree(parent, tmp_name);
      goto out;
    }
  }
  if ((e = mb_vfs_rename(parent, tmp_name, tl, parent, dname, name_len))) {
    if (exists) (void)mb_vfs_rename(parent, old_name, ol, parent, dname, name_len);
    failed("cannot rename the new tree to ", &dst_path, e);
    (void)remove_tree(parent, tmp_name);
    goto out;
  }
  ok = true;
  if (exists && (e = remove_tree(parent, old_name))) {
    /* the save is made; what is left is the old tree under a name that says so */
    head();
    says("saved; the old ");
    say(s->dest.ptr, s->dest.len);
    says(" is left at ");
    path_set(&dst_path, s->dest.ptr, parent_len);
    path_push(&dst_path, parent_len, old_name, ol);
    say(dst_path.s, dst_path.len);
    says(": ");
    says(mb_wasi_errno_name(e));
    says("\n");
    ok = false;
  }
out:
  mb_vfs_close(tmp);
  mb_vfs_close(src);
  mb_vfs_close(sroot);
  mb_vfs_close(parent);
  mb_vfs_close(droot);
  return ok;
}

uint32_t p1_save_at_exit(uint32_t code) {
  static bool done; /* once: proc_exit after the entry's own call cannot save twice */
  if (done || p1.cfg.save_count == 0) return code;
  done = true;
  bool ok = true;
  for (uint32_t i = 0; i < p1.cfg.save_count; i++) ok &= save_one(&p1.cfg.saves[i]);
  return ok || code ? code : MB_VIRT_SAVE_FAILED_STATUS;
}
#endif

/* The generated _start calls this after the program's _start returned (compose.c): the
 * saves, and exit status 74 if one fails (the program's own status was 0). */
P1_EXPORT("membrane:exit") void p1x_membrane_exit(void) {
  p1_log_exiting(0);
  uint32_t code = p1_save_at_exit(0);
  p1_log_call_end(); /* what the saves took from the host, recorded too */
  if (code) __wasi_proc_exit(code);
}
