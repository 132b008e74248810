"""Documents a secretariat prints and signs: the Excel report, the Word decision and
report, exports of any list."""
