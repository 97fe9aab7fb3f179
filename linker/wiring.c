/* wiring.c — provider selection: which instance provides import module M to consumer C.
 * One answer, asked by resolution (link.c), by the resource ABI (link_res.c: the definer
 * of a WIT resource, the provider of a legacy intrinsic) and by the init-order check. It
 * depends on nothing but the session's instances, wires and worlds. */
#include <string.h>

#include "link_internal.h"

int mb__find_inst(const mb_link *l, const char *name, size_t len) {
  for (uint32_t i = 0; i < l->ninst; i++)
    if (strlen(l->inst[i].name) == len && memcmp(l->inst[i].name, name, len) == 0) return (int)i;
  return -1;
}

/* The interface an import module names, when WIT is loaded. */
const mb_wit_iface *mb__iface_by_module(const mb_link *l, const char *module, size_t len) {
  if (!l->wit || len == 0 || len > 511) return NULL;
  char id[512];
  memcpy(id, module, len);
  id[len] = 0;
  return mb_wit_find_interface(l->wit, id);
}

bool mb__exports_iface(const mb_link *l, int i, const char *module, size_t len) {
  const mb_link_inst *in = &l->inst[i];
  /* an interface id is NAMESPACE:PACKAGE/NAME: anything else (wasi_snapshot_preview1,
   * env, ...) is no interface, and needs no scan of the exports */
  if (in->glue || !memchr(module, ':', len) || !memchr(module, '/', len)) return false;
  if (in->world) {
    const mb_wit_iface *f = mb__iface_by_module(l, module, len);
    if (!f) return false;
    for (uint32_t e = 0; e < in->world->nexports; e++)
      if (in->world->exports[e].iface == f) return true;
    return false;
  }
  /* without a world: it exports functions `<iface>#...` */
  for (uint32_t e = 0; e < in->m->nexports; e++) {
    mb_bytes n = in->m->exports[e].name;
    if (in->m->exports[e].kind == MB_KIND_FUNC && n.len > len && n.ptr[len] == '#' &&
        memcmp(n.ptr, module, len) == 0)
      return true;
  }
  return false;
}

int mb__provider_for(const mb_link *l, int consumer, mb_bytes module, int *other) {
  for (uint32_t i = 0; i < l->nwires; i++) {
    const mb_wire *w = &l->wires[i];
    if (strcmp(w->consumer, l->inst[consumer].name) == 0 && mb_bytes_eq(module, w->module))
      return mb__find_inst(l, w->provider, strlen(w->provider));
  }
  int p = mb__find_inst(l, (const char *)module.ptr, module.len);
  if (p >= 0) return p;
  /* an interface: the instance that exports it (never the consumer itself) */
  for (uint32_t i = 0; i < l->ninst; i++) {
    if ((int)i == consumer || l->inst[i].glue ||
        !mb__exports_iface(l, (int)i, (const char *)module.ptr, module.len))
      continue;
    if (p >= 0) {
      if (other) *other = (int)i;
      return -3;
    }
    p = (int)i;
  }
  return p;
}

