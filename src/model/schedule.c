#include "model/schedule.h"

#include "core/error.h"
#include "model/ops/ops.h"

#include <stdlib.h>
#include <string.h>

/* A first-fit allocator of offsets (elements per sample) with free-block
 * merging: at most one free block per freed buffer, so n_nodes + 1 entries
 * suffice. */
typedef struct slots {
  int64_t *offset, *length;
  int n;
  int64_t end;
} slots;

static int64_t slot_take(slots *sl, int64_t length) {
  for (int i = 0; i < sl->n; i++)
    if (sl->length[i] >= length) {
      int64_t at = sl->offset[i];
      sl->offset[i] += length;
      sl->length[i] -= length;
      if (sl->length[i] == 0) {
        memmove(sl->offset + i, sl->offset + i + 1, sizeof(int64_t) * (size_t)(sl->n - i - 1));
        memmove(sl->length + i, sl->length + i + 1, sizeof(int64_t) * (size_t)(sl->n - i - 1));
        sl->n--;
      }
      return at;
    }
  int64_t at = sl->end;
  sl->end += length;
  return at;
}

static void slot_give(slots *sl, int64_t offset, int64_t length) {
  int i = 0;
  while (i < sl->n && sl->offset[i] < offset)
    i++;
  memmove(sl->offset + i + 1, sl->offset + i, sizeof(int64_t) * (size_t)(sl->n - i));
  memmove(sl->length + i + 1, sl->length + i, sizeof(int64_t) * (size_t)(sl->n - i));
  sl->offset[i] = offset;
  sl->length[i] = length;
  sl->n++;
  /* Merge with the next block, then with the previous one. */
  if (i + 1 < sl->n && sl->offset[i] + sl->length[i] == sl->offset[i + 1]) {
    sl->length[i] += sl->length[i + 1];
    memmove(sl->offset + i + 1, sl->offset + i + 2, sizeof(int64_t) * (size_t)(sl->n - i - 2));
    memmove(sl->length + i + 1, sl->length + i + 2, sizeof(int64_t) * (size_t)(sl->n - i - 2));
    sl->n--;
  }
  if (i > 0 && sl->offset[i - 1] + sl->length[i - 1] == sl->offset[i]) {
    sl->length[i - 1] += sl->length[i];
    memmove(sl->offset + i, sl->offset + i + 1, sizeof(int64_t) * (size_t)(sl->n - i - 1));
    memmove(sl->length + i, sl->length + i + 1, sizeof(int64_t) * (size_t)(sl->n - i - 1));
    sl->n--;
  }
}

/* Forward slots: nodes in order, each value taken before its inputs whose
 * last consumer it is are given back (an op never writes over its input).
 * `needs` says which nodes get a slot; `last` is each node's last consumer
 * (n_nodes for f, which lives to the end). */
static int64_t plan_forward(const js_schedule *s, slots *sl, const unsigned char *needs,
                            const int *last, int64_t *slot) {
  const js_net *net = s->net;
  sl->n = 0;
  sl->end = 0;
  for (int i = 0; i < s->n_nodes; i++) {
    slot[i] = -1;
    if (!needs[i])
      continue;
    slot[i] = slot_take(sl, net->nodes[i].size);
    for (int t = 0; t < net->nodes[i].n_inputs; t++) {
      int in = net->nodes[i].input[t];
      if (slot[in] >= 0 && last[in] == i && (t == 0 || in != net->nodes[i].input[0]))
        slot_give(sl, slot[in], net->nodes[in].size);
    }
  }
  return sl->end;
}

/* Cotangent slots: nodes in reverse; before node j's vjp its active inputs
 * get a slot (if they have none yet), after it j's own is given back. */
static int64_t plan_reverse(const js_schedule *s, slots *sl, int64_t *slot) {
  const js_net *net = s->net;
  sl->n = 0;
  sl->end = 0;
  for (int i = 0; i < s->n_nodes; i++)
    slot[i] = -1;
  slot[net->output] = slot_take(sl, net->nodes[net->output].size);
  for (int j = s->n_nodes - 1; j > 0; j--) {
    if (!s->active[j] || slot[j] < 0)
      continue;
    const js_node *node = &net->nodes[j];
    for (int t = 0; t < node->n_inputs; t++)
      if (s->active[node->input[t]] && slot[node->input[t]] < 0)
        slot[node->input[t]] = slot_take(sl, net->nodes[node->input[t]].size);
    slot_give(sl, slot[j], node->size);
  }
  return sl->end;
}

/* Which nodes reach f, which are active, and what the products keep. */
static void classify(js_schedule *s) {
  const js_net *net = s->net;
  s->reaches[net->output] = 1;
  for (int j = net->output; j > 0; j--)
    if (s->reaches[j])
      for (int t = 0; t < net->nodes[j].n_inputs; t++)
        s->reaches[net->nodes[j].input[t]] = 1;
  for (int i = 1; i < s->n_nodes; i++) {
    const js_node *node = &net->nodes[i];
    int active = 0;
    for (int slot = 0; slot < 2; slot++)
      active |= node->param[slot] >= 0 && net->params[node->param[slot]].trained;
    for (int t = 0; t < node->n_inputs; t++)
      active |= s->active[node->input[t]];
    s->active[i] = (unsigned char)(active && s->reaches[i]);
  }
  for (int i = 1; i < s->n_nodes; i++) {
    const js_node *node = &net->nodes[i];
    const js_op *op = js_op_of(node->kind);
    if (!s->active[i])
      continue;
    if (op->input_for_weight && net->params[node->param[0]].trained)
      s->kept[node->input[0]] = 1;
    s->saved_bytes[i] = op->saved_size ? op->saved_size(node, s->k) : 0;
  }
}

int js_schedule_create(const js_net *net, js_precision precision, js_schedule *s) {
  memset(s, 0, sizeof *s);
  s->net = net;
  s->k = js_kernels_of(precision);
  int n = s->n_nodes = net->n_nodes;
  s->reaches = js_alloc((size_t)n, 3, "schedule flags");
  s->saved_bytes = js_alloc((size_t)n, sizeof(size_t), "schedule");
  s->value_slot = js_alloc((size_t)n * 4, sizeof(int64_t), "schedule slots");
  int *last = js_alloc((size_t)n, 2 * sizeof(int), "schedule");
  slots sl = {js_alloc((size_t)n + 1, sizeof(int64_t), "schedule"),
              js_alloc((size_t)n + 1, sizeof(int64_t), "schedule"), 0, 0};
  int status = JS_OK;
  if (!s->reaches || !s->saved_bytes || !s->value_slot || !last || !sl.offset || !sl.length) {
    status = JS_ENOMEM;
    goto done;
  }
  s->active = s->reaches + n;
  s->kept = s->reaches + 2 * n;
  s->tangent_slot = s->value_slot + n;
  s->cotangent_slot = s->value_slot + 2 * n;
  s->plain_slot = s->value_slot + 3 * n;
  classify(s);
  s->input_direct = s->k->size == sizeof(double);

  /* Last consumers: of values among the nodes reaching f, of tangents
   * among the active ones; f itself lives to the end. */
  int *last_value = last, *last_tangent = last + n;
  for (int i = 0; i < n; i++)
    last_value[i] = last_tangent[i] = -1;
  for (int j = 1; j < n; j++)
    for (int t = 0; t < net->nodes[j].n_inputs; t++) {
      int in = net->nodes[j].input[t];
      if (s->reaches[j])
        last_value[in] = j;
      if (s->active[j])
        last_tangent[in] = j;
    }
  last_value[net->output] = last_tangent[net->output] = n;

  unsigned char *needs = js_alloc((size_t)n, 1, "schedule");
  if (!needs) {
    status = JS_ENOMEM;
    goto done;
  }
  for (int i = 0; i < n; i++)
    needs[i] = s->reaches[i] && (i > 0 || !s->input_direct) && !s->kept[i];
  s->value_units = plan_forward(s, &sl, needs, last_value, s->value_slot);
  for (int i = 0; i < n; i++)
    needs[i] = s->reaches[i] && i > 0;
  s->plain_units = plan_forward(s, &sl, needs, last_value, s->plain_slot);
  s->tangent_units = plan_forward(s, &sl, s->active, last_tangent, s->tangent_slot);
  s->cotangent_units = plan_reverse(s, &sl, s->cotangent_slot);
  free(needs);
  for (int i = 0; i < n; i++) {
    if (s->kept[i] && !(i == 0 && s->input_direct))
      s->data_per_sample += s->k->size * (size_t)net->nodes[i].size;
    s->data_per_sample += s->saved_bytes[i];
  }
done:
  free(last);
  free(sl.offset);
  free(sl.length);
  if (status)
    js_schedule_free(s);
  return status;
}

void js_schedule_free(js_schedule *s) {
  free(s->reaches);
  free(s->saved_bytes);
  free(s->value_slot);
  memset(s, 0, sizeof *s);
}

/* Walks the arrays of forward data in node order (value, then saved). */
static size_t walk_data(const js_schedule *s, char *base, int64_t rows, void **value,
                        void **saved) {
  size_t used = 0;
  for (int i = 0; i < s->n_nodes; i++) {
    if (value)
      value[i] = saved[i] = NULL;
    if (s->kept[i] && !(i == 0 && s->input_direct)) {
      if (value)
        value[i] = base + used;
      used += js_align(s->k->size * (size_t)(s->net->nodes[i].size * rows));
    }
    if (s->saved_bytes[i]) {
      if (value)
        saved[i] = base + used;
      used += js_align(s->saved_bytes[i] * (size_t)rows);
    }
  }
  return used;
}

size_t js_schedule_data_bytes(const js_schedule *s, int64_t rows) {
  return walk_data(s, NULL, rows, NULL, NULL);
}

void js_schedule_lay_out(const js_schedule *s, void *base, int64_t rows, void **value,
                         void **saved) {
  walk_data(s, base, rows, value, saved);
}

/* The largest scratch any op needs for B samples and b vectors. */
static size_t scratch_bytes(const js_schedule *s, const js_kernels *k, int64_t B, int64_t b,
                            const unsigned char *which) {
  size_t most = 0;
  for (int i = 1; i < s->n_nodes; i++) {
    const js_op *op = js_op_of(s->net->nodes[i].kind);
    if (which[i] && op->scratch_size) {
      size_t need = op->scratch_size(&s->net->nodes[i], k, B, b);
      most = need > most ? need : most;
    }
  }
  return js_align(most);
}

size_t js_schedule_slot_bytes(const js_schedule *s, int64_t B, int64_t b) {
  size_t forward = (size_t)(B * s->value_units);
  int64_t block = s->tangent_units > s->cotangent_units ? s->tangent_units : s->cotangent_units;
  size_t product = (size_t)(b * B * block);
  return js_align((forward > product ? forward : product) * s->k->size);
}

size_t js_schedule_workspace(const js_schedule *s, int64_t B, int64_t b, int cached) {
  /* The forward pass runs in this workspace also when cached: the first
   * product fills the cache batch by batch, and it runs every node that
   * reaches f (inactive ones too, whose scratch the products never count). */
  size_t scratch = scratch_bytes(s, s->k, B, b, s->active);
  size_t forward_scratch = scratch_bytes(s, s->k, B, 0, s->reaches);
  scratch = forward_scratch > scratch ? forward_scratch : scratch;
  return js_schedule_slot_bytes(s, B, b) + scratch +
         (cached ? 0 : js_schedule_data_bytes(s, B));
}

size_t js_schedule_plain_workspace(const js_schedule *s, int64_t B) {
  return js_align((size_t)(B * s->plain_units) * sizeof(double)) +
         scratch_bytes(s, js_kernels_of(JS_PRECISION_DOUBLE), B, 0, s->reaches);
}

size_t js_schedule_batch_bytes(const js_schedule *s, int64_t B, int64_t b, int cached,
                               int with_plain) {
  size_t product = js_schedule_workspace(s, B, b, cached);
  size_t forward = with_plain ? js_schedule_plain_workspace(s, B) : 0;
  return product > forward ? product : forward;
}

int64_t js_schedule_fit_batch(const js_schedule *s, size_t bytes, int64_t n_samples,
                              int64_t b, int cached, int with_plain) {
  int64_t lo = 1, hi = n_samples;
  while (lo < hi) { /* the workspace grows with B: bisect for the last fit */
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (js_schedule_batch_bytes(s, mid, b, cached, with_plain) <= bytes)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}
