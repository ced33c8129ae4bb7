# billwatch: a small image that runs `billwatch run` as a non-root user.
#
#   docker build -t billwatch .
#   docker run -e TELEGRAM_BOT_TOKEN=... -v billwatch-data:/data billwatch
#
# The shipped config is inside the image at /config/billwatch.toml; mount your own /config
# (read-only is fine) to replace it. State lives in /data.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in a layer of their own: editing billwatch's code does not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
# (The benches are not built here, but the manifest names them: an empty stand-in for each
# [[bench]] the manifest lists suffices.)
RUN mkdir -p src config benches \
    && echo 'fn main() {}' > src/main.rs \
    && for b in $(sed -n '/^\[\[bench\]\]/{n;s/^name = "\(.*\)"/\1/p}' Cargo.toml); do \
        echo 'fn main() {}' > "benches/$b.rs"; done \
    && touch src/lib.rs config/billwatch.toml \
    && cargo build --release --locked \
    && rm -rf src config target/release/.fingerprint/billwatch-* target/release/deps/billwatch-* target/release/deps/libbillwatch-*
COPY src ./src
COPY config ./config
RUN cargo build --release --locked && cp target/release/billwatch /usr/local/bin/billwatch

FROM debian:bookworm-slim
# TLS roots are compiled into the binary (rustls with webpki roots): no CA package needed.
# A plain (not --system) user: uid 10001 is above the system range (SYS_UID_MAX 999), and a
# system user there makes useradd warn. --no-log-init keeps such a high uid from growing
# lastlog and faillog into large sparse files.
RUN useradd --no-log-init --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin billwatch \
    && mkdir -p /config /data \
    && chown billwatch:billwatch /data
COPY --from=build /usr/local/bin/billwatch /usr/local/bin/billwatch
COPY config/billwatch.toml /config/billwatch.toml
ENV BILLWATCH_CONFIG=/config/billwatch.toml \
    RUST_LOG=billwatch=info,warn
# The config's default storage.path, "data/billwatch.db", resolves to /data/billwatch.db.
WORKDIR /
VOLUME ["/data"]
USER billwatch:billwatch
HEALTHCHECK --interval=5m --timeout=20s --start-period=2m --retries=3 \
    CMD ["/usr/local/bin/billwatch", "health"]
ENTRYPOINT ["/usr/local/bin/billwatch"]
CMD ["run"]
