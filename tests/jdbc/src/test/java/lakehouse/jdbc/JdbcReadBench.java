package lakehouse.jdbc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * The warehouse benchmark's JDBC stage (bench/warehouse_rows.py): connects and warms up, then waits for one line
 * per query on stdin ("rows repeats"), reads the answer row by row with the driver's default URL, and prints
 * "rows seconds_total" so the timing excludes the JVM's start.
 */
public final class JdbcReadBench {

    private JdbcReadBench() {
    }

    public static void main(String[] arguments) throws Exception {
        URI uri = URI.create(arguments[0]);
        Properties properties = new Properties();
        properties.setProperty("user", arguments[1]);
        properties.setProperty("password", arguments[2]);
        String sql = arguments[3];
        try (Connection connection = DriverManager.getConnection(
                "jdbc:clickhouse://" + uri.getHost() + ":" + uri.getPort() + "/default", properties)) {
            read(connection, sql.formatted(1000));
            System.out.println("ready");
            BufferedReader input = new BufferedReader(new InputStreamReader(System.in));
            for (String line = input.readLine(); line != null && !line.isBlank(); line = input.readLine()) {
                String[] request = line.trim().split(" ");
                long rows = Long.parseLong(request[0]);
                int repeats = Integer.parseInt(request[1]);
                long started = System.nanoTime();
                long read = 0;
                for (int repeat = 0; repeat < repeats; repeat++) {
                    read += read(connection, sql.formatted(rows));
                }
                System.out.println(read + " " + (System.nanoTime() - started) / 1e9);
            }
        }
    }

    private static long read(Connection connection, String sql) throws Exception {
        long rows = 0;
        try (Statement statement = connection.createStatement(); ResultSet answer = statement.executeQuery(sql)) {
            while (answer.next()) {
                answer.getLong(1);
                answer.getString(2);
                answer.getObject(3);
                answer.getDouble(4);
                rows++;
            }
        }
        return rows;
    }
}
