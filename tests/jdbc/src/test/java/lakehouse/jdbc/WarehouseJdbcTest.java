package lakehouse.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ClickHouse JDBC driver with its default URL ({@code jdbc:clickhouse://host:port/default}): it asks for
 * LZ4 block-compressed answers ({@code compress=1}) and sends {@code async_insert=0} on every statement, as SQL
 * tools built on it do.
 */
class WarehouseJdbcTest {

    static final String WAREHOUSE_URL = System.getenv("WAREHOUSE_URL");
    static final String TABLE_SUFFIX = UUID.randomUUID().toString().replace("-", "").substring(0, 8);

    static Connection connect(String role) throws SQLException {
        URI uri = URI.create(WAREHOUSE_URL);
        Properties properties = new Properties();
        String prefix = role.equals("admin") ? "ADMIN" : "ANALYST";
        properties.setProperty("user", System.getenv(prefix + "_USER"));
        properties.setProperty("password", System.getenv(prefix + "_PASSWORD"));
        return DriverManager.getConnection("jdbc:clickhouse://" + uri.getHost() + ":" + uri.getPort() + "/default",
                properties);
    }

    static List<String> column(ResultSet rows, String name) throws SQLException {
        List<String> values = new ArrayList<>();
        try (rows) {
            while (rows.next()) {
                values.add(rows.getString(name));
            }
        }
        return values;
    }

    @ParameterizedTest(name = "a SQL tool's metadata calls as {0}")
    @ValueSource(strings = {"admin", "analyst"})
    void metadataOnConnect(String role) throws SQLException {
        try (Connection connection = connect(role)) {
            DatabaseMetaData meta = connection.getMetaData();
            assertTrue(meta.getDatabaseProductVersion().matches("\\d+\\.\\d+.*"), meta.getDatabaseProductVersion());
            assertTrue(column(meta.getSchemas(), "TABLE_SCHEM").contains("system"));
            assertTrue(column(meta.getTables(null, "system", "%", null), "TABLE_NAME").contains("one"));
            List<String> columns = new ArrayList<>();
            try (ResultSet rows = meta.getColumns(null, "system", "one", "%")) {
                while (rows.next()) {
                    columns.add(rows.getString("COLUMN_NAME") + ":" + rows.getString("TYPE_NAME"));
                }
            }
            assertEquals(List.of("dummy:UInt8"), columns);
            assertFalse(column(meta.getTypeInfo(), "TYPE_NAME").isEmpty());
        }
    }

    interface Binder {
        void bind(Connection connection, PreparedStatement statement) throws SQLException;
    }

    interface Checker {
        void check(ResultSet rows) throws SQLException;
    }

    /** {@code expression} holds the parameters; by default {@code CAST(? AS type)}. */
    record TypeCase(String type, Binder binder, Checker checker, String expression) {
        TypeCase(String type, Binder binder, Checker checker) {
            this(type, binder, checker, "CAST(? AS " + type + ")");
        }
    }

    static final String TRICKY = "plain ü 'quoted' back\\slash\ttab\nnewline";
    static final BigInteger MAX_UINT64 = new BigInteger("18446744073709551615");
    static final BigDecimal MONEY = new BigDecimal("-1234567890123456.78");
    static final BigDecimal WIDE = new BigDecimal("1234567890123456789012345678901234.5678");
    static final LocalDateTime SECOND = LocalDateTime.of(2024, 3, 1, 12, 34, 56);
    static final LocalDateTime MILLISECOND = LocalDateTime.of(2024, 3, 1, 12, 34, 56, 789_000_000);
    static final UUID AN_ID = UUID.fromString("0a1b2c3d-4e5f-4789-8abc-def012345678");

    /** Every type the marts use. Decimals go as strings: the driver sends setBigDecimal as a float literal. */
    static List<TypeCase> typeCases() {
        String[] strings = {"a", "b'c", "", "ü"};
        Checker mapChecker = rows -> {
            Map<String, String> values = new TreeMap<>();
            ((Map<?, ?>) rows.getObject(1)).forEach((key, value) -> values.put(key.toString(), value.toString()));
            assertEquals(Map.of("a", "1", "b'", "42"), values);
        };
        return List.of(
                new TypeCase("String", (c, s) -> s.setString(1, TRICKY), rows -> assertEquals(TRICKY, rows.getString(1))),
                new TypeCase("LowCardinality(String)", (c, s) -> s.setString(1, "store-7"),
                        rows -> assertEquals("store-7", rows.getString(1))),
                new TypeCase("Nullable(String)", (c, s) -> s.setNull(1, Types.VARCHAR), rows -> {
                    assertNull(rows.getString(1));
                    assertTrue(rows.wasNull());
                }),
                new TypeCase("UInt8", (c, s) -> s.setInt(1, 255), rows -> assertEquals(255, rows.getInt(1))),
                new TypeCase("UInt16", (c, s) -> s.setInt(1, 65535), rows -> assertEquals(65535, rows.getInt(1))),
                new TypeCase("UInt32", (c, s) -> s.setLong(1, 4294967295L),
                        rows -> assertEquals(4294967295L, rows.getLong(1))),
                new TypeCase("UInt64", (c, s) -> s.setObject(1, MAX_UINT64),
                        rows -> assertEquals(MAX_UINT64, rows.getObject(1, BigInteger.class))),
                new TypeCase("Int32", (c, s) -> s.setInt(1, Integer.MIN_VALUE),
                        rows -> assertEquals(Integer.MIN_VALUE, rows.getInt(1))),
                new TypeCase("Int64", (c, s) -> s.setLong(1, Long.MAX_VALUE),
                        rows -> assertEquals(Long.MAX_VALUE, rows.getLong(1))),
                new TypeCase("Float32", (c, s) -> s.setFloat(1, 3.25f), rows -> assertEquals(3.25f, rows.getFloat(1))),
                new TypeCase("Float64", (c, s) -> s.setDouble(1, Math.PI), rows -> assertEquals(Math.PI, rows.getDouble(1))),
                new TypeCase("Decimal(18, 2)", (c, s) -> s.setString(1, MONEY.toPlainString()),
                        rows -> assertEquals(0, MONEY.compareTo(rows.getBigDecimal(1)))),
                new TypeCase("Decimal(38, 4)", (c, s) -> s.setString(1, WIDE.toPlainString()),
                        rows -> assertEquals(0, WIDE.compareTo(rows.getBigDecimal(1)))),
                new TypeCase("Date", (c, s) -> s.setObject(1, LocalDate.of(2024, 2, 29)),
                        rows -> assertEquals(LocalDate.of(2024, 2, 29), rows.getObject(1, LocalDate.class))),
                new TypeCase("Date32", (c, s) -> s.setObject(1, LocalDate.of(1925, 6, 15)),
                        rows -> assertEquals(LocalDate.of(1925, 6, 15), rows.getObject(1, LocalDate.class))),
                new TypeCase("DateTime", (c, s) -> s.setTimestamp(1, Timestamp.valueOf(SECOND)),
                        rows -> assertEquals(Timestamp.valueOf(SECOND), rows.getTimestamp(1))),
                new TypeCase("DateTime64(3)", (c, s) -> s.setObject(1, MILLISECOND),
                        rows -> assertEquals(MILLISECOND, rows.getObject(1, LocalDateTime.class))),
                new TypeCase("Bool", (c, s) -> s.setBoolean(1, true), rows -> assertTrue(rows.getBoolean(1))),
                new TypeCase("UUID", (c, s) -> s.setObject(1, AN_ID),
                        rows -> assertEquals(AN_ID, rows.getObject(1, UUID.class))),
                new TypeCase("Array(String)", (c, s) -> s.setArray(1, c.createArrayOf("String", strings)),
                        rows -> assertArrayEquals(strings, (Object[]) rows.getArray(1).getArray())),
                new TypeCase("Map(String, UInt64)", (c, s) -> {
                    s.setString(1, "a");
                    s.setLong(2, 1L);
                    s.setString(3, "b'");
                    s.setLong(4, 42L);
                }, mapChecker, "CAST(map(?, ?, ?, ?) AS Map(String, UInt64))"),
                new TypeCase("Tuple(String, Int32)",
                        (c, s) -> s.setObject(1, c.createStruct("Tuple(String, Int32)", new Object[] {"x'y", 7})),
                        rows -> assertArrayEquals(new Object[] {"x'y", 7}, (Object[]) rows.getObject(1))));
    }

    @TestFactory
    Stream<DynamicTest> everyMartTypeRoundTripsAsAParameter() {
        return Stream.of("admin", "analyst").flatMap(role -> typeCases().stream().map(typeCase ->
                DynamicTest.dynamicTest(typeCase.type() + " as " + role, () -> {
                    try (Connection connection = connect(role);
                         PreparedStatement statement = connection.prepareStatement(
                                 "SELECT " + typeCase.expression() + " AS v, toTypeName(v)")) {
                        typeCase.binder().bind(connection, statement);
                        try (ResultSet rows = statement.executeQuery()) {
                            assertTrue(rows.next());
                            assertEquals(typeCase.type(), rows.getString(2));
                            typeCase.checker().check(rows);
                            assertFalse(rows.next());
                        }
                    }
                })));
    }

    @ParameterizedTest(name = "DateTime reads as the server's wall clock, as {0}")
    @ValueSource(strings = {"admin", "analyst"})
    void dateTimeReadsAsTheServerShowsIt(String role) throws SQLException {
        try (Connection connection = connect(role);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT toDateTime('2024-03-01 12:34:56')")) {
            assertTrue(rows.next());
            assertEquals(SECOND, rows.getObject(1, LocalDateTime.class));
        }
    }

    static final int BATCH_ROWS = 100_000;

    @Test
    void theAdminInsertsAHundredThousandRowBatch() throws SQLException {
        String table = "default.jdbc_batch_" + TABLE_SUFFIX;
        try (Connection connection = connect("admin"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + table + " (id UInt64, store LowCardinality(String),"
                    + " amount Decimal(18, 2), day Date, at DateTime64(3), promoted Bool) ENGINE = MergeTree ORDER BY id");
            try {
                BigDecimal amounts = BigDecimal.ZERO;
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO " + table + " (id, store, amount, day, at, promoted) VALUES (?, ?, ?, ?, ?, ?)")) {
                    for (int row = 1; row <= BATCH_ROWS; row++) {
                        BigDecimal amount = BigDecimal.valueOf(row % 10_000, 2);
                        insert.setLong(1, row);
                        insert.setString(2, "store-" + (row % 50));
                        insert.setString(3, amount.toPlainString());
                        insert.setObject(4, LocalDate.of(2024, 1, 1).plusDays(row % 366));
                        insert.setTimestamp(5, Timestamp.valueOf(SECOND.plusNanos(row * 1_000_000L)));
                        insert.setBoolean(6, row % 3 == 0);
                        insert.addBatch();
                        amounts = amounts.add(amount);
                    }
                    assertEquals(BATCH_ROWS, insert.executeBatch().length);
                }
                try (ResultSet rows = statement.executeQuery(
                        "SELECT count(), sum(id), sum(amount), countIf(promoted), uniqExact(store) FROM " + table)) {
                    assertTrue(rows.next());
                    assertEquals(BATCH_ROWS, rows.getLong(1));
                    assertEquals(BigInteger.valueOf((long) BATCH_ROWS * (BATCH_ROWS + 1) / 2), new BigInteger(rows.getString(2)));
                    assertEquals(0, amounts.compareTo(rows.getBigDecimal(3)));
                    assertEquals(BATCH_ROWS / 3, rows.getLong(4));
                    assertEquals(50, rows.getLong(5));
                }
            } finally {
                statement.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    @ParameterizedTest(name = "the analyst's {0} is refused as read-only")
    @ValueSource(strings = {"INSERT INTO default.jdbc_readonly_%s (id) VALUES (1)",
                            "CREATE TABLE default.jdbc_analyst_%s (id UInt64) ENGINE = Memory"})
    void theAnalystCannotWrite(String sql) throws SQLException {
        String table = "default.jdbc_readonly_" + TABLE_SUFFIX;
        try (Connection admin = connect("admin"); Statement adminStatement = admin.createStatement()) {
            adminStatement.execute("CREATE TABLE IF NOT EXISTS " + table + " (id UInt64) ENGINE = MergeTree ORDER BY id");
            try (Connection analyst = connect("analyst"); Statement statement = analyst.createStatement()) {
                SQLException refused = assertThrows(SQLException.class,
                        () -> statement.execute(sql.formatted(TABLE_SUFFIX)));
                assertTrue(refused.getMessage().contains("Code: 164") && refused.getMessage().contains("readonly mode")
                        && !refused.getMessage().contains("setting"), refused.getMessage());
            }
            try (ResultSet rows = adminStatement.executeQuery("SELECT count() FROM " + table)) {
                assertTrue(rows.next());
                assertEquals(0, rows.getLong(1));
            } finally {
                adminStatement.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }
}
