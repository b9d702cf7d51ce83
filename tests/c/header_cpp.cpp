// The header must compile as C++11 (extern "C", no C-only constructs).
#include "shiliu.h"

#include <cstdint>

static_assert(SHILIU_STATUS_OK == 0, "OK is zero");
static_assert(SHILIU_ABI_VERSION >= 1, "ABI version");

int main() {
    struct shiliu_registry *reg = nullptr;
    struct shiliu_error *err = nullptr;
    const char options[] = "{\"today\":\"2024-12-31\"}";
    int32_t st = shiliu_registry_open_in_memory(reinterpret_cast<const uint8_t *>(options),
                                                sizeof options - 1, &reg, &err);
    if (st != SHILIU_STATUS_OK) {
        shiliu_error_free(err);
        return 1;
    }
    int64_t tx = 0;
    st = shiliu_registry_transaction(reg, &tx, nullptr);
    shiliu_registry_close(reg);
    return (st == SHILIU_STATUS_OK && shiliu_abi_version() == SHILIU_ABI_VERSION) ? 0 : 1;
}
