@echo off
REM Install if needed, build, start (Windows).
cd /d "%~dp0\.."
where node >nul 2>nul || (echo Node.js 20.19+, 22.13+ or 24+ is required & exit /b 1)
if not exist .env if exist .env.example copy .env.example .env >nul
if not exist node_modules call npm install --no-audit --no-fund || exit /b 1
call npm run build || exit /b 1
REM The node flags of the Dockerfile CMD and package.json start (V8 heap sizing and threads, see BENCHMARKS.md).
node --max-semi-space-size=8 --heap-growing-percent=50 --v8-pool-size=1 dist\src\main.js
