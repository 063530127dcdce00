// Simulated computestorage.dll (test-only). kiln resolves no computestorage.dll function: its
// layer work goes through the legacy vmcompute.dll exports (layers/windows/
// vmcompute_layer_api_win.cc; hcs-api.md 3.5 explains why), so this DLL exports nothing. It is
// built and placed in the prefix so that a kiln that did load it (LoadLibraryExW from System32)
// would find it, and so the test can state that kiln never called into it: every call into the
// simulated DLLs is logged, and none names computestorage.
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

extern "C" BOOL WINAPI DllMain(HINSTANCE, DWORD, LPVOID) { return TRUE; }
