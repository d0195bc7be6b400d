// Reads what the running Cattle stores, which its API never shows (secretValue is a write-only
// `password` field): one SQL query a line on stdin, one JSON line of rows on stdout. Run by the
// test peer as `java -cp h2.jar CattleDbReader.java <jdbc url>`; H2's AUTO_SERVER mode lets this
// second process in over loopback while Cattle holds the database.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;

public class CattleDbReader {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        try (Connection db = DriverManager.getConnection(args[0], "cattle", "cattle")) {
            db.setReadOnly(true);
            for (String sql; (sql = in.readLine()) != null; ) {
                StringBuilder out = new StringBuilder();
                try (Statement statement = db.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
                    ResultSetMetaData meta = rows.getMetaData();
                    out.append("{\"rows\":[");
                    for (boolean first = true; rows.next(); first = false) {
                        if (!first) out.append(',');
                        out.append('{');
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            if (i > 1) out.append(',');
                            out.append(quote(meta.getColumnLabel(i).toLowerCase())).append(':');
                            String value = rows.getString(i);
                            out.append(value == null ? "null" : quote(value));
                        }
                        out.append('}');
                    }
                    out.append("]}");
                } catch (Exception e) {
                    out.setLength(0);
                    out.append("{\"error\":").append(quote(String.valueOf(e.getMessage()))).append('}');
                }
                System.out.println(out);
                System.out.flush();
            }
        }
    }

    private static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
