int main(void) { return 1; } /* placeholder: fails until written */
